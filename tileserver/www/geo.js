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

// Distances on the ellipsoid, as PostGIS measures geography with use_spheroid = true (the default
// of ST_Distance(geography, geography); tailings.inspection_coverage's offset_m): CGCS2000's
// ellipsoid (a = 6378137 m, f = 1/298.257222101, that of GRS 80), Vincenty's inverse formula
// (sub-millimetre against PostGIS's GeographicLib at the distances of a pond's walk).
//   geodesic([lon, lat], [lon, lat]) → { distance: metres, bearing: degrees from north, 0–360 }
const ELL_A = 6378137, ELL_F = 1 / 298.257222101, ELL_B = ELL_A * (1 - ELL_F);
export function geodesic([lon1, lat1], [lon2, lat2]) {
  if (lon1 === lon2 && lat1 === lat2) return { distance: 0, bearing: 0 };
  const L = rad(lon2 - lon1);
  const U1 = Math.atan((1 - ELL_F) * Math.tan(rad(lat1))), U2 = Math.atan((1 - ELL_F) * Math.tan(rad(lat2)));
  const sinU1 = Math.sin(U1), cosU1 = Math.cos(U1), sinU2 = Math.sin(U2), cosU2 = Math.cos(U2);
  let lambda = L, prev, sinSigma, cosSigma, sigma, cos2Alpha, cos2SigmaM, sinLambda, cosLambda;
  let iter = 0;
  do {
    sinLambda = Math.sin(lambda); cosLambda = Math.cos(lambda);
    sinSigma = Math.hypot(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda);
    if (sinSigma === 0) return { distance: 0, bearing: 0 };
    cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
    sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = cosU1 * cosU2 * sinLambda / sinSigma;
    cos2Alpha = 1 - sinAlpha * sinAlpha;
    cos2SigmaM = cos2Alpha !== 0 ? cosSigma - 2 * sinU1 * sinU2 / cos2Alpha : 0;
    const C = ELL_F / 16 * cos2Alpha * (4 + ELL_F * (4 - 3 * cos2Alpha));
    prev = lambda;
    lambda = L + (1 - C) * ELL_F * sinAlpha * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM ** 2)));
  } while (Math.abs(lambda - prev) > 1e-12 && ++iter < 200);
  if (iter >= 200) {   // nearly antipodal points (never at a pond): the sphere's answer
    return { distance: distance([lon1, lat1], [lon2, lat2]), bearing: 0 };
  }
  const uSq = cos2Alpha * (ELL_A * ELL_A - ELL_B * ELL_B) / (ELL_B * ELL_B);
  const A = 1 + uSq / 16384 * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
  const B = uSq / 1024 * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
  const dSigma = B * sinSigma * (cos2SigmaM + B / 4 * (cosSigma * (-1 + 2 * cos2SigmaM ** 2) -
    B / 6 * cos2SigmaM * (-3 + 4 * sinSigma ** 2) * (-3 + 4 * cos2SigmaM ** 2)));
  const az = Math.atan2(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda);
  return { distance: ELL_B * A * (sigma - dSigma), bearing: (deg(az) + 360) % 360 };
}
