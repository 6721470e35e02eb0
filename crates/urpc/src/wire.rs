//! The JSON bodies of requests and responses.
//!
//! Request:  `{"method": "...", "params": <json>, "fds": n}`
//! Response: `{"ok": <json>, "fds": n}` or `{"err": {"kind": "...", "message": "..."}}`
//!
//! `fds` is the number of file descriptors that travel with the frame; a receiver that
//! gets a different number treats the message as a protocol error. It may be omitted when
//! zero. Unknown fields are ignored so that either side can grow.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, RemoteError, Result};

/// A decoded request body.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WireRequest {
    pub method: String,
    #[serde(default)]
    pub params: Value,
    #[serde(default)]
    pub fds: usize,
}

/// Encodes a request body.
pub(crate) fn encode_request(method: &str, params: Value, fds: usize) -> Result<Vec<u8>> {
    let req = WireRequest {
        method: method.to_owned(),
        params,
        fds,
    };
    serde_json::to_vec(&req)
        .map_err(|e| Error::Protocol(format!("encoding a {method} request: {e}")))
}

/// Decodes a request body.
pub(crate) fn decode_request(body: &[u8]) -> Result<WireRequest> {
    serde_json::from_slice(body).map_err(|e| Error::Protocol(format!("malformed request: {e}")))
}

/// Encodes a response body.
pub(crate) fn encode_response(result: &Result<Value, RemoteError>, fds: usize) -> Vec<u8> {
    let mut obj = Map::new();
    match result {
        Ok(v) => {
            obj.insert("ok".into(), v.clone());
            if fds > 0 {
                obj.insert("fds".into(), Value::from(fds));
            }
        }
        Err(e) => {
            obj.insert(
                "err".into(),
                serde_json::json!({ "kind": e.kind, "message": e.message }),
            );
        }
    }
    // Serializing a Value into memory cannot fail (all map keys are strings).
    serde_json::to_vec(&Value::Object(obj)).unwrap_or_default()
}

/// A decoded response body.
#[derive(Debug)]
pub(crate) struct WireResponse {
    pub result: std::result::Result<Value, RemoteError>,
    pub fds: usize,
}

/// Decodes a response body. The body is untrusted: any shape other than exactly one of
/// `ok`/`err` is a protocol error.
pub(crate) fn decode_response(method: &str, body: &[u8]) -> Result<WireResponse> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Error::Protocol(format!("malformed reply to {method}: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(Error::Protocol(format!(
            "reply to {method} is not a JSON object"
        )));
    };
    let fds = match obj.get("fds") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| Error::Protocol(format!("reply to {method} has a bad \"fds\" field")))?,
    };
    let result = match (obj.remove("ok"), obj.remove("err")) {
        (Some(ok), None) => Ok(ok),
        (None, Some(err)) => Err(serde_json::from_value::<RemoteError>(err)
            .map_err(|e| Error::Protocol(format!("malformed error in reply to {method}: {e}")))?),
        (Some(_), Some(_)) => {
            return Err(Error::Protocol(format!(
                "reply to {method} has both \"ok\" and \"err\""
            )))
        }
        (None, None) => {
            return Err(Error::Protocol(format!(
                "reply to {method} has neither \"ok\" nor \"err\""
            )))
        }
    };
    Ok(WireResponse { result, fds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_round_trip_keeps_null_ok() {
        let body = encode_response(&Ok(Value::Null), 0);
        let resp = decode_response("m", &body).unwrap();
        assert_eq!(resp.result, Ok(Value::Null));
        assert_eq!(resp.fds, 0);
    }

    #[test]
    fn response_error_round_trip() {
        let err = RemoteError::not_found("container \"x\" does not exist");
        let body = encode_response(&Err(err.clone()), 0);
        let resp = decode_response("m", &body).unwrap();
        assert_eq!(resp.result, Err(err));
    }

    #[test]
    fn response_shapes_rejected() {
        for bad in [
            &b"[1,2]"[..],
            b"{}",
            b"{\"ok\":1,\"err\":{\"kind\":\"a\",\"message\":\"b\"}}",
            b"{\"err\":\"flat string\"}",
            b"{\"ok\":1,\"fds\":-1}",
            b"{\"ok\":1,\"fds\":\"two\"}",
        ] {
            match decode_response("m", bad) {
                Err(Error::Protocol(_)) => {}
                other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(bad)),
            }
        }
    }

    #[test]
    fn request_defaults_and_unknown_fields() {
        let req = decode_request(br#"{"method":"a.B","extra":true}"#).unwrap();
        assert_eq!(req.method, "a.B");
        assert_eq!(req.params, Value::Null);
        assert_eq!(req.fds, 0);
        assert!(decode_request(br#"{"params":1}"#).is_err());
    }
}
