async function handler(event) {
  var request = event.request;
  var pr = request.headers.host.value.split(".")[0];
  request.uri = `/${pr}${request.uri.endsWith("/") ? request.uri + "index.html" : request.uri}`;
  return request;
}
