// Distances on the sphere PostGIS uses for geography with use_spheroid = false (the completeness
// rule within_5km measures ST_Distance(geography, geography, false)): its mean radius.
export const EARTH_RADIUS_M = 6371008.7714;
const rad = d => d * Math.PI / 180;
const deg = r => r * 180 / Math.PI;

// great-circle distance in metres between [lon, lat] points
export function distance([lon1, lat1], [lon2, lat2]) {
  const dphi = rad(lat2 - lat1), dl = rad(lon2 - lon1);
  const a = Math.sin(dphi / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

// the point `d` metres from [lon, lat] on the initial bearing `bearing` (degrees from north)
export function destination([lon, lat], d, bearing) {
  const phi = rad(lat), l = rad(lon), th = rad(bearing), del = d / EARTH_RADIUS_M;
  const phi2 = Math.asin(Math.sin(phi) * Math.cos(del) + Math.cos(phi) * Math.sin(del) * Math.cos(th));
  const l2 = l + Math.atan2(Math.sin(th) * Math.sin(del) * Math.cos(phi), Math.cos(del) - Math.sin(phi) * Math.sin(phi2));
  return [((deg(l2) + 540) % 360) - 180, deg(phi2)];
}

// the circle of radius `r` metres around [lon, lat] as a GeoJSON polygon of `n` vertices
export function circle(centre, r, n = 128) {
  const ring = [];
  for (let i = 0; i < n; i++) ring.push(destination(centre, r, (360 * i) / n));
  ring.push(ring[0]);
  return { type: 'Polygon', coordinates: [ring] };
}

// "26.84, 102.03", "102.03 26.84", "26.84°N 102.03°E", "N26.84 E102.03": [lon, lat], or null when
// the text is not a pair of coordinates.  A value above 90 in magnitude is the longitude; N/S and
// E/W say which is which; two plain values under 90 are read latitude first.
export function parseCoordinates(text) {
  const s = text.trim().replace(/，/g, ',').replace(/[°º]/g, '');
  const m = /^([NSEW])?\s*(-?\d+(?:\.\d+)?)\s*([NSEW])?\s*[,;\s]\s*([NSEW])?\s*(-?\d+(?:\.\d+)?)\s*([NSEW])?$/i.exec(s);
  if (!m) return null;
  const h1 = (m[1] || m[3] || '').toUpperCase(), h2 = (m[4] || m[6] || '').toUpperCase();
  let a = Number(m[2]), b = Number(m[5]);
  if (h1 === 'S' || h1 === 'W') a = -Math.abs(a);
  if (h2 === 'S' || h2 === 'W') b = -Math.abs(b);
  let lon, lat;
  if ('EW'.includes(h1) && h1 || 'NS'.includes(h2) && h2) [lon, lat] = [a, b];
  else if ('NS'.includes(h1) && h1 || 'EW'.includes(h2) && h2) [lat, lon] = [a, b];
  else if (Math.abs(a) > 90) [lon, lat] = [a, b];
  else [lat, lon] = [a, b];
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return [lon, lat];
}
