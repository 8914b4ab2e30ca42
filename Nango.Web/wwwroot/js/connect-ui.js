// The browser half of the Connect UI (/connect/). The page itself runs on the server (Blazor); this module
// does what only the browser can: talk to the parent window (the @nangohq/frontend postMessage protocol),
// open the auth popup inside the click that asked for it, follow the popup's WebSocket, and POST the
// credential flows and telemetry.

let dotnet = null;
let embedded = false;
let parentOrigin = null;
let pendingPopup = null;
let flow = null;

const popupWidth = 500;
const popupHeight = 600;

/** Called once after the first render. Returns what the page cannot know from the server side. */
export function init(reference) {
    dotnet = reference;
    embedded = window.self !== window.top;
    parentOrigin = findParentOrigin();
    if (embedded) {
        document.documentElement.classList.add('connect-in-frame');
        window.addEventListener('message', onParentMessage);
        post({ type: 'ready' });
    }
    // Capture phase: the popup must open inside the user's click, before Blazor's handler goes to the server.
    document.addEventListener('click', onClickCapture, true);
    window.addEventListener('message', onPopupMessage);
    return { embedded, parentOrigin };
}

/** The origin allowed to hand us a session token and to receive our events. */
function findParentOrigin() {
    try {
        if (location.ancestorOrigins && location.ancestorOrigins.length > 0) {
            return location.ancestorOrigins[0];
        }
    } catch {
        // ancestorOrigins is Chromium/WebKit only.
    }
    try {
        if (document.referrer) {
            return new URL(document.referrer).origin;
        }
    } catch {
        // An unparsable referrer tells nothing.
    }
    return null;
}

function onParentMessage(event) {
    if (event.source !== window.parent || (parentOrigin && event.origin !== parentOrigin)) {
        return;
    }
    const data = event.data;
    if (!data || typeof data !== 'object') {
        return;
    }
    if (data.type === 'session_token' && typeof data.sessionToken === 'string') {
        dotnet?.invokeMethodAsync('OnSessionToken', data.sessionToken);
    } else if (data.type === 'settings_changed' && data.payload && typeof data.payload === 'object') {
        dotnet?.invokeMethodAsync('OnSettingsChanged', JSON.stringify(data.payload));
    }
}

/** Posts a Connect UI event ({type, payload?}) to the window that embeds this page; nothing when standalone. */
export function post(message) {
    if (!embedded) {
        return;
    }
    // Without a known parent origin, '*' is still safe: the parent is whoever handed us the session token.
    window.parent.postMessage(message, parentOrigin ?? '*');
}

function onClickCapture(event) {
    const trigger = event.target instanceof Element ? event.target.closest('[data-nango-popup]') : null;
    if (!trigger || trigger.disabled || trigger.getAttribute('aria-disabled') === 'true') {
        return;
    }
    if (pendingPopup && !pendingPopup.closed) {
        try {
            pendingPopup.close();
        } catch {
            // Already gone.
        }
    }
    const left = Math.max(window.screen.width / 2 - popupWidth / 2, 0);
    const top = Math.max(window.screen.height / 2 - popupHeight / 2, 0);
    const features = `left=${left},top=${top},width=${Math.min(popupWidth, window.screen.width)},height=${Math.min(popupHeight, window.screen.height)},scrollbars=yes,resizable=yes,status=no,toolbar=no,location=no,menubar=no`;
    pendingPopup = window.open('', '_blank', features);
}

/** Closes a popup opened by a click that the server then did not act on (an invalid form). */
export function discardPopup() {
    if (pendingPopup) {
        try {
            pendingPopup.close();
        } catch {
            // Already gone.
        }
        pendingPopup = null;
    }
}

/**
 * Runs an OAuth flow in the popup opened by the last click, exactly as @nangohq/frontend does: open the
 * WebSocket, wait for connection_ack, send the popup to /oauth/connect with the ws_client_id, and wait for
 * the success or error message. The result goes to the page's OnPopupResult (a flow can outlast any
 * interop call timeout). Returns false at once when the browser blocked the popup.
 */
export function startPopupAuth(options) {
    cancelPopupAuth();
    const modal = pendingPopup;
    pendingPopup = null;
    if (!modal || modal.closed) {
        return false;
    }
    const state = { modal, done: false, callbackSeen: false, closedSince: null, timer: null, socket: null };
    flow = state;

    const complete = (result) => {
        if (state.done) {
            return;
        }
        state.done = true;
        clearInterval(state.timer);
        try {
            state.socket?.close();
        } catch {
            // Closing a closed socket.
        }
        // Let the callback page post to us and close itself first, as the SDK does.
        setTimeout(() => {
            try {
                modal.close();
            } catch {
                // Already gone.
            }
        }, 500);
        if (flow === state) {
            flow = null;
        }
        dotnet?.invokeMethodAsync('OnPopupResult', result);
    };
    state.complete = complete;

    const base = new URL(document.baseURI);
    const socketUrl = new URL(options.websocketsPath || '/', base);
    socketUrl.protocol = socketUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(socketUrl.href);
    state.socket = socket;
    socket.onmessage = (message) => {
        let data;
        try {
            data = JSON.parse(message.data);
        } catch {
            return;
        }
        switch (data.message_type) {
            case 'connection_ack': {
                if (modal.closed) {
                    complete({ ok: false, errorType: 'window_closed', errorMessage: 'The authorization window was closed before the authorization flow was completed' });
                    return;
                }
                const url = new URL(options.url, base);
                url.searchParams.set('ws_client_id', data.ws_client_id);
                modal.location.href = url.href;
                break;
            }
            case 'success':
                complete({ ok: true, providerConfigKey: data.provider_config_key, connectionId: data.connection_id, isPending: data.is_pending === true });
                break;
            case 'error':
                complete({ ok: false, errorType: data.error_type || 'unknown_error', errorMessage: data.error_desc || 'The authorization failed.' });
                break;
            default:
                break;
        }
    };
    socket.onclose = () => {
        if (!state.done && !state.callbackSeen) {
            complete({ ok: false, errorType: 'unknown_error', errorMessage: 'The connection to the server was lost during the authorization.' });
        }
    };

    state.timer = setInterval(() => {
        if (state.done || !modal.closed) {
            state.closedSince = null;
            return;
        }
        const now = Date.now();
        state.closedSince ??= now;
        if (state.callbackSeen) {
            // The callback page ran and closed itself: its result is on the socket. Give up only if it never comes.
            if (now - state.closedSince > 15000) {
                complete({ ok: false, errorType: 'unknown_error', errorMessage: 'The authorization finished but its result did not arrive.' });
            }
            return;
        }
        // A result may still be in flight when the popup closes; wait a moment before calling it closed.
        if (options.detectClosedAuthWindow && now - state.closedSince > 1000) {
            complete({ ok: false, errorType: 'window_closed', errorMessage: 'The authorization window was closed before the authorization flow was completed' });
        }
    }, 500);
    return true;
}

/** Stops following the current popup flow (the user gave up waiting); the page decides what to show. */
export function cancelPopupAuth() {
    const state = flow;
    flow = null;
    if (!state || state.done) {
        return;
    }
    state.done = true;
    clearInterval(state.timer);
    try {
        state.socket?.close();
        state.modal.close();
    } catch {
        // Already gone.
    }
}

/** The callback page posts its outcome to its opener (this window); acknowledge it so it closes itself. */
function onPopupMessage(event) {
    const state = flow;
    if (!state || event.source !== state.modal || !event.data || typeof event.data !== 'object') {
        return;
    }
    const type = event.data.type;
    if (type !== 'nango_oauth_callback_success' && type !== 'nango_oauth_callback_error') {
        return;
    }
    try {
        event.source.postMessage({ type: 'nango_oauth_callback_ack' }, event.origin);
    } catch {
        // The popup went away.
    }
    if (type === 'nango_oauth_callback_success') {
        state.callbackSeen = true;
    } else {
        const payload = event.data.payload || {};
        state.complete?.({ ok: false, errorType: payload.errorType || 'unknown_error', errorMessage: payload.message || 'The authorization failed.' });
    }
}

/** POSTs a credential flow (API key, basic, none, client credentials) with the session token. */
export async function postFlow(path, body, sessionToken) {
    try {
        const response = await fetch(new URL(path, document.baseURI), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + sessionToken },
            body: JSON.stringify(body),
        });
        const text = await response.text();
        return { status: response.status, body: text };
    } catch (e) {
        return { status: 0, body: String(e && e.message ? e.message : e) };
    }
}

/** Nango's Connect UI telemetry; best effort, never awaited by the page. */
export function telemetry(sessionToken, event, integration) {
    const body = { token: sessionToken, event, timestamp: new Date().toISOString() };
    if (integration) {
        body.dimensions = { integration };
    }
    try {
        const url = new URL('connect/telemetry', document.baseURI);
        const blob = new Blob([JSON.stringify(body)], { type: 'application/json' });
        if (!navigator.sendBeacon || !navigator.sendBeacon(url, blob)) {
            fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), keepalive: true }).catch(() => { });
        }
    } catch {
        // Telemetry must never disturb the flow.
    }
}

/** Whether the system prefers a dark theme (for theme=system). */
export function prefersDark() {
    return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function dispose() {
    cancelPopupAuth();
    discardPopup();
    document.removeEventListener('click', onClickCapture, true);
    window.removeEventListener('message', onPopupMessage);
    window.removeEventListener('message', onParentMessage);
    dotnet = null;
}
