//! The WebSocket adapter: one socket, its four listeners, and their release.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

pub enum WsInput {
    Open,
    Text(String),
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
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            if let Some(text) = data.as_string() {
                d(WsInput::Text(text));
            } else if let Ok(buf) = data.dyn_into::<js_sys::ArrayBuffer>() {
                // RFC 7118 allows binary frames; SIP in them is still UTF-8 text.
                let bytes = js_sys::Uint8Array::new(&buf).to_vec();
                d(WsInput::Text(String::from_utf8_lossy(&bytes).into_owned()));
            }
        });
        let d = deliver;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            d(WsInput::Closed {
                code: e.code(),
                reason: e.reason(),
            });
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // `error` is always followed by `close`, which carries the detail; one path handles both.
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
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
        let _ = self.ws.close_with_code(1000);
    }
}

pub fn describe(e: &wasm_bindgen::JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}
