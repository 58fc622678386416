// The outbox of a phone in the field: writes made while the network comes and goes (inspection
// visits, hazards, the end of an inspection) are kept in localStorage, so that they survive a
// reload, and sent in the order they were made when the network is back (the `online` event, a
// retry timer, or the next write).  What is safe to send twice is sent again as it is (a visit is
// a PUT, an upsert: a replay changes nothing); a POST whose answer was lost (a network error after
// it may have reached the server) is first looked for on the server (the item's `find`, run by
// the sender), so that it is not made twice.
//
//   const box = new Outbox(key, send)       key: the localStorage key (one per member: nothing
//                                           queued by one member is ever sent as another)
//   send(item) → Promise of { ok, status, body }   status 0: the network failed
//   box.add({ kind, method, path, body, meta, replaces })   queue (replaces: an unsent item of the
//                                           same path is updated in place, not queued twice)
//   box.items()                             what waits, oldest first: { id, kind, method, path,
//                                           body, meta, tries, uncertain, error }
//   box.flush()                             send what waits, in order; one flush at a time
//   events (box.addEventListener): 'change' (the queue changed), 'sent' (detail: { item, body }),
//   'dropped' (detail: { item, status, body }: the server refused it, 4xx: it is not sent again),
//   'held' (detail: { item, status }: kept for later: the network or the server failed)
//
// An answer 4xx drops the item (it would be refused again), but 401 (the member must sign in
// again: it is sent once they have), 408, 409 (a conflict that passes: a serialization failure)
// and 429; 5xx and network errors keep it, and the rest waits behind it (order matters: the end of
// an inspection after its visits).
const RETRY_MS = 15000;
const KEEP_STATUSES = new Set([0, 401, 408, 409, 425, 429]);

export class Outbox extends EventTarget {
  constructor(key, send, { retryMs = RETRY_MS } = {}) {
    super();
    this.key = key;
    this.send = send;
    this.retryMs = retryMs;
    this.flushing = null;
    this.again = false;
    this.sending = null;   // the id of the item on its way
    this.timer = null;
    window.addEventListener('online', () => this.flush());
    // another tab of the same member changed the queue: shown here too
    window.addEventListener('storage', e => { if (e.key === this.key) this.emit('change'); });
  }

  // ---- the queue in localStorage
  items() {
    try {
      const v = JSON.parse(localStorage.getItem(this.key) || '[]');
      return Array.isArray(v) ? v : [];
    } catch {
      return [];
    }
  }
  save(list) {
    try {
      if (list.length) localStorage.setItem(this.key, JSON.stringify(list));
      else localStorage.removeItem(this.key);
    } catch { /* storage full or refused: the items stay in this page until sent */ }
    this.memory = list;
    this.emit('change');
  }
  update(id, f) {
    const list = this.items();
    const i = list.findIndex(x => x.id === id);
    if (i < 0) return null;
    list[i] = f(list[i]);
    this.save(list);
    return list[i];
  }
  remove(id) {
    this.save(this.items().filter(x => x.id !== id));
  }
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
  isSending(id) {
    return this.sending === id;
  }

  add({ kind, method, path, body, meta = {}, replaces = false }) {
    const list = this.items();
    // the same write again (a visit marked twice before the first was sent): the waiting one
    // takes the new body, unless it is on its way (then the new one follows it)
    const same = replaces && list.find(x => x.method === method && x.path === path && x.id !== this.sending);
    let item;
    if (same) {
      same.body = body;
      same.meta = meta;
      same.error = null;
      item = same;
    } else {
      item = { id: newId(), kind, method, path, body, meta, created: new Date().toISOString(), tries: 0, uncertain: false, error: null };
      list.push(item);
    }
    this.save(list);
    this.flush();
    return item;
  }

  // ---- sending, in order, one flush at a time (across this member's tabs, with the Web Locks API)
  flush() {
    if (this.flushing) { this.again = true; return this.flushing; }
    const run = async () => {
      do {
        this.again = false;
        await (navigator.locks ? navigator.locks.request(`${this.key}.lock`, () => this.drain()) : this.drain());
      } while (this.again && navigator.onLine !== false && this.items().length);
    };
    this.flushing = run().finally(() => {
      this.flushing = null;
      this.schedule();
    });
    return this.flushing;
  }
  async drain() {
    for (;;) {
      const item = this.items()[0];   // read again each time: another tab may have sent it
      if (!item) return;
      if (navigator.onLine === false) { this.emit('held', { item, status: 0 }); return; }
      this.sending = item.id;
      this.emit('change');
      let res;
      try {
        res = await this.send(item);
      } catch (e) {
        res = { ok: false, status: 0, body: { error: String(e?.message || e) } };
      } finally {
        this.sending = null;
      }
      if (res.ok) {
        this.remove(item.id);
        this.emit('sent', { item, body: res.body });
        continue;
      }
      if (KEEP_STATUSES.has(res.status) || res.status >= 500) {
        // a network error after the request went out: the server may have it already
        this.update(item.id, x => ({ ...x, tries: x.tries + 1, uncertain: x.uncertain || res.status === 0, error: res.status ? res.body : null }));
        this.emit('held', { item, status: res.status, body: res.body });
        return;
      }
      this.remove(item.id);
      this.emit('dropped', { item, status: res.status, body: res.body });
    }
  }
  // while something waits, try again every so often (the `online` event does not come when the
  // network was there but the server was not)
  schedule() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.items().length) this.timer = setTimeout(() => this.flush(), this.retryMs);
  }
}

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
