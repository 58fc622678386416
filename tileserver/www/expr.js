// MapLibre style expressions evaluated for one feature's properties at one zoom, for the places
// that draw the map's symbols without MapLibre: the legend and list (legend.js) and the printed
// sheet (sheet.js).  Enough for the style's paint, layout and filter values (get, case, match,
// coalesce, comparisons, arithmetic, interpolate and step); anything else gives undefined, so that
// the caller uses its default.
export function evaluate(v, props = {}, zoom = 15) {
  if (!Array.isArray(v)) return v;
  if (typeof v[0] !== 'string') return v;            // a literal array: [2, 1]
  const [op, ...a] = v;
  const ev = x => evaluate(x, props, zoom);
  switch (op) {
    case 'literal': return a[0];
    case 'get': return props[ev(a[0])];
    case 'has': return ev(a[0]) in props;
    case 'zoom': return zoom;
    case 'geometry-type': return props.$type;
    case 'case':
      for (let i = 0; i + 1 < a.length; i += 2) if (ev(a[i])) return ev(a[i + 1]);
      return ev(a[a.length - 1]);
    case 'match': {
      const input = ev(a[0]);
      for (let i = 1; i + 1 < a.length; i += 2) {
        const labels = Array.isArray(a[i]) ? a[i] : [a[i]];
        if (labels.includes(input)) return ev(a[i + 1]);
      }
      return ev(a[a.length - 1]);
    }
    case 'coalesce': for (const x of a) { const r = ev(x); if (r != null) return r; } return null;
    case '==': return ev(a[0]) === ev(a[1]);
    case '!=': return ev(a[0]) !== ev(a[1]);
    case '<': return ev(a[0]) < ev(a[1]);
    case '<=': return ev(a[0]) <= ev(a[1]);
    case '>': return ev(a[0]) > ev(a[1]);
    case '>=': return ev(a[0]) >= ev(a[1]);
    case '!': return !ev(a[0]);
    case 'all': return a.every(x => ev(x));
    case 'any': return a.some(x => ev(x));
    case 'to-boolean': return Boolean(ev(a[0]));
    case 'to-number': return Number(ev(a[0]));
    case 'to-string': return String(ev(a[0]) ?? '');
    case 'boolean': case 'number': case 'string': case 'array':
      for (const x of a) { const r = ev(x); if (r != null) return r; } return null;
    case 'concat': return a.map(x => ev(x) ?? '').join('');
    case '*': return a.reduce((p, x) => p * ev(x), 1);
    case '+': return a.reduce((p, x) => p + ev(x), 0);
    case '-': return a.length === 1 ? -ev(a[0]) : ev(a[0]) - ev(a[1]);
    case '/': return ev(a[0]) / ev(a[1]);
    case 'step': {
      const input = ev(a[0]);
      let out = ev(a[1]);
      for (let i = 2; i + 1 < a.length; i += 2) if (input >= a[i]) out = ev(a[i + 1]);
      return out;
    }
    case 'interpolate': case 'interpolate-hcl': case 'interpolate-lab': {
      const [kind, inputX, ...stops] = a;
      const input = ev(inputX);
      const base = kind[0] === 'exponential' ? kind[1] : 1;
      if (input <= stops[0]) return ev(stops[1]);
      for (let i = 2; i + 1 < stops.length; i += 2) {
        if (input <= stops[i]) {
          const x0 = stops[i - 2], x1 = stops[i], y0 = ev(stops[i - 1]), y1 = ev(stops[i + 1]);
          if (typeof y0 !== 'number' || typeof y1 !== 'number') return y0;
          const f = base === 1 ? (input - x0) / (x1 - x0) : (base ** (input - x0) - 1) / (base ** (x1 - x0) - 1);
          return y0 + f * (y1 - y0);
        }
      }
      return ev(stops[stops.length - 1]);
    }
    default: return undefined;                       // not known here: the caller's default
  }
}
