//! The WebSocket adapter: one socket, its four listeners, and their release.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

pub enum WsInput {
    Open,
    Text(String),
    /// A frame over the SIP message limit: only its start was copied into wasm memory.
    Oversized {
        prefix: String,
        len: usize,
    },
    /// Closed or failed; `code` and `reason` from the CloseEvent, for the log.
    Closed {
        code: u16,
        reason: String,
    },
}

pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Socket {
    /// Opens `url` with subprotocol `sip` (RFC 7118 §4). `deliver` receives every input; it
    /// must not assume it runs inside the caller's stack (events arrive as browser tasks).
    pub fn open(url: &str, deliver: impl Fn(WsInput) + Clone + 'static) -> Result<Socket, String> {
        let ws = WebSocket::new_with_str(url, "sip").map_err(|e| format!("cannot open {url}: {}", describe(&e)))?;
        ws.set_binary_type(web_sys::BinaryType::Arraybuffer);

        let d = deliver.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| d(WsInput::Open));
        let d = deliver.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| d(read_frame(e.data())));
        let d = deliver.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            d(WsInput::Closed {
                code: e.code(),
                reason: e.reason(),
            });
        });
        // `error` should be followed by `close`, but Chromium fires only `error` for a socket
        // its CSP refuses: whichever comes first ends the socket (the core drops it, which
        // detaches the other listener).
        let d = deliver;
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_| {
            d(WsInput::Closed {
                code: 1006,
                reason: "error".into(),
            });
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        })
    }

    /// The browser's socket, for the shim's release after a trap (`keep`).
    pub fn raw(&self) -> &WebSocket {
        &self.ws
    }

    pub fn send(&self, text: &str) -> Result<(), String> {
        self.ws.send_with_str(text).map_err(|e| describe(&e))
    }
}

impl Drop for Socket {
    /// Detaches the listeners before closing, so nothing from this socket reaches the core
    /// after the core decided it is gone, and the closures can be freed.
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close_with_code(1000);
    }
}

/// A frame as the core's input. A frame over the 64 KiB message limit is never copied into
/// wasm memory whole (a 100 MiB frame would grow it for the page's life): only its start,
/// for the core to answer 513 from. RFC 7118 allows binary frames; SIP in them is UTF-8.
fn read_frame(data: wasm_bindgen::JsValue) -> WsInput {
    use sip_core::limits::{MAX_MESSAGE_BYTES, OVERSIZED_PREFIX_BYTES};
    if let Some(text) = data.dyn_ref::<js_sys::JsString>() {
        // UTF-16 units never outnumber UTF-8 bytes: over the limit in units is over in bytes.
        let units = text.length() as usize;
        if units > MAX_MESSAGE_BYTES {
            let prefix = text.substring(0, OVERSIZED_PREFIX_BYTES as u32);
            return WsInput::Oversized {
                prefix: prefix.as_string().unwrap_or_default(),
                len: units,
            };
        }
        return WsInput::Text(text.as_string().unwrap_or_default());
    }
    let Ok(buf) = data.dyn_into::<js_sys::ArrayBuffer>() else {
        return WsInput::Text(String::new());
    };
    let len = buf.byte_length() as usize;
    let take = len.min(if len > MAX_MESSAGE_BYTES {
        OVERSIZED_PREFIX_BYTES
    } else {
        len
    });
    let bytes = js_sys::Uint8Array::new_with_byte_offset_and_length(&buf, 0, take as u32).to_vec();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if len > MAX_MESSAGE_BYTES {
        WsInput::Oversized { prefix: text, len }
    } else {
        WsInput::Text(text)
    }
}

pub fn describe(e: &wasm_bindgen::JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}
