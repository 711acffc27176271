// Hand-written baseline for performance issue 8, figure P1 (benches/router.rs): the routing of
// fixtures/ok/monorepo-previews.yaml written the way teams write a preview router by hand, in the
// usual style: a config object keyed by group, `Object.keys(locations).find(p => uri.startsWith(p))`
// for the longest prefix (keys listed longest first), template strings, and a regex replace to
// squash duplicate slashes. It also has the guards a careful team adds after an incident (lower-case
// host, port and trailing dot cut, `..` and control characters rejected, percent-decoding and
// re-encoding), so it answers every request of the bench's mix (the file's test URLs) as the
// generated function does. Not generated, not used by edgeroute itself; runs in njs and node.
// (cloudfront-js-1.0 runs it too: arrow functions, template strings and const are in that runtime.)

const ALLOWED_PREFIXES = ['192.0.2.', '2001:db8:'];
const PREVIEW_HOST = /^([a-z][a-z0-9]*-[0-9]+)\.([a-z0-9]+)\.example\.com$/;

const groups = {
  group1: {
    app: 'app1',
    exact: { '/app2': '/app2/index.html' },
    // prefix → rewritten URI (null: served as is); longest first
    locations: {
      '/app2/assets/': null,
      '/assets/': null,
      '/app2/': '/app2/index.html',
      '/': '/index.html',
    },
  },
  group2: {
    app: 'app3',
    exact: { '/app4': '/app4/index.html' },
    locations: {
      '/app4/assets/': null,
      '/assets/': null,
      '/app4/': '/app4/index.html',
      '/': '/index.html',
    },
  },
};

function handler(event) {
  const request = event.request;
  const host = request.headers.host.value.toLowerCase().split(':')[0].replace(/\.$/, '');
  if (host.includes('..')) return { statusCode: 400 };
  const match = host.match(PREVIEW_HOST);
  if (!match) return { statusCode: 404 };
  const id = match[1];
  const config = groups[match[2]] || groups.group1; // other groups get group1's routing

  const ip = event.viewer.ip.toLowerCase();
  if (!ALLOWED_PREFIXES.some(p => ip.startsWith(p))) return { statusCode: 403 };

  let uri;
  try {
    uri = decodeURIComponent(request.uri);
  } catch (e) {
    return { statusCode: 400 };
  }
  if (/[\x00-\x1f\x7f]/.test(uri)) return { statusCode: 400 };
  uri = uri.replace(/\/{2,}/g, '/');
  // resolve "." and ".."; climbing out of the preview is a bad request
  const segments = [];
  let climbed = false;
  uri.split('/').forEach(s => {
    if (s === '..') climbed = climbed || segments.pop() === undefined;
    else if (s && s !== '.') segments.push(s);
  });
  if (climbed) return { statusCode: 400 };
  uri = `/${segments.join('/')}${segments.length && uri.endsWith('/') ? '/' : ''}`;

  const prefix = Object.keys(config.locations).find(p => uri.startsWith(p));
  const target = config.exact[uri] || config.locations[prefix] || uri;
  request.uri = encodeURI(`/${id}/${config.app}${target}`);
  return request;
}
