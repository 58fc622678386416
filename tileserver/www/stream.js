// The change stream (/events, server-sent events) for a signed-in member.  The browser's
// EventSource sends no Authorization header, so a member's stream is read with fetch(): the same
// text/event-stream format (event:, data:, id:, retry:, comments), the same events dispatched
// ('hello', 'change', 'resync', as MessageEvents with data), onerror when the stream fails, and a
// reconnection after the server's retry: (2 s by default), as EventSource does.  Without a token,
// app.js keeps EventSource.
import { authHeaders } from './auth.js';

export class AuthEventSource extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.retry = 2000;
    this.onerror = null;
    this.closed = false;
    this.controller = null;
    this.run();
  }

  close() {
    this.closed = true;
    this.controller?.abort();
  }

  fail() {
    const e = new Event('error');
    this.dispatchEvent(e);
    this.onerror?.(e);
  }

  async run() {
    while (!this.closed) {
      this.controller = new AbortController();
      try {
        const r = await fetch(this.url, { headers: authHeaders(this.url, { Accept: 'text/event-stream' }),
          cache: 'no-store', signal: this.controller.signal });
        // the token no longer works (revoked, expired): auth.js signs the tab out
        if (r.status === 401) document.dispatchEvent(new CustomEvent('tailings:unauthorized'));
        if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
        await this.read(r.body);
      } catch { /* closed, refused or cut: below */ }
      if (this.closed) return;
      this.fail();
      await new Promise(resolve => setTimeout(resolve, this.retry));
    }
  }

  // the stream's lines, an event dispatched at each blank line
  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let type = '', data = [], id = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let nl;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) this.dispatchEvent(new MessageEvent(type || 'message', { data: data.join('\n'), lastEventId: id }));
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;   // a comment: the server's heartbeat
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = v;
        else if (field === 'data') data.push(v);
        else if (field === 'id') id = v;
        else if (field === 'retry' && /^\d+$/.test(v)) this.retry = Number(v);
      }
    }
  }
}
