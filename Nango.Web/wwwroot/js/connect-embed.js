// The dashboard's side of the Connect UI protocol, as @nangohq/frontend's openConnectUI speaks it: answer the
// frame's `ready` with the session token, and hand every event (connect, error, close…) to the dialog.

const listeners = new Map();

/** Starts listening, then loads the frame, so its `ready` cannot arrive before anyone listens. */
export function attach(frame, url, sessionToken, reference) {
    detach(frame);
    const target = new URL(url, document.baseURI);
    const listener = (event) => {
        if (event.source !== frame.contentWindow || event.origin !== target.origin) {
            return;
        }
        const data = event.data;
        if (!data || typeof data !== 'object' || typeof data.type !== 'string') {
            return;
        }
        if (data.type === 'ready') {
            frame.contentWindow.postMessage({ type: 'session_token', sessionToken }, target.origin);
        }
        reference.invokeMethodAsync('OnConnectUiEvent', data.type, JSON.stringify(data.payload ?? null));
    };
    window.addEventListener('message', listener);
    listeners.set(frame, listener);
    frame.src = target.href;
}

export function detach(frame) {
    const listener = listeners.get(frame);
    if (listener) {
        window.removeEventListener('message', listener);
        listeners.delete(frame);
    }
}
