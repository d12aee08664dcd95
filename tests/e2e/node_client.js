// node_client.js - one request with Node's http client, for tests/e2e/real_clients.py.
// Usage: node node_client.js URL METHOD '{"Header": "value"}'
// Prints one JSON line: {"informational": [codes of 'information' events], "status": N,
// "headers": {...}, "body": "..."}; exits 2 on error or after 15 s.
"use strict";
const http = require("http");
const [url, method, headers] = process.argv.slice(2);
const timer = setTimeout(() => { console.error("node_client: timeout"); process.exit(2); }, 15000);
const informational = [];
const req = http.request(url, { method, headers: JSON.parse(headers || "{}"), agent: false }, (res) => {
  const chunks = [];
  res.on("data", (c) => chunks.push(c));
  res.on("end", () => {
    clearTimeout(timer);
    console.log(JSON.stringify({ informational, status: res.statusCode, headers: res.headers,
                                 body: Buffer.concat(chunks).toString("utf8") }));
  });
});
req.on("information", (info) => informational.push(info.statusCode));
req.on("error", (e) => { console.error("node_client: " + e.message); process.exit(2); });
req.end();
