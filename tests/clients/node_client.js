// node_client.js - Node 20's HTTP clients for client_matrix.py.
// Usage: node node_client.js http|fetch URL1 URL2 [User-Agent]
//   http   require("http") with one keep-alive Agent (maxSockets 1): request 1 PROPFIND URL1
//          with Depth: 1, request 2 GET URL2. 1xx counted from 'information' events, reuse from
//          req.reusedSocket. Node's http sends no User-Agent unless one is set.
//   fetch  the global fetch (undici, bundled with Node): same two requests; fetch shows neither
//          1xx nor the connection ("interim"/"reused": null). No User-Agent argument: undici's
//          default is sent.
// Prints one JSON line {"requests": [{"status", "body", "interim", "reused", "error"}, ...]};
// every request is bounded by 12 s.
"use strict";
const http = require("http");
const [mode, url1, url2, ua] = process.argv.slice(2);

function viaHttp(agent, url, method, headers) {
  return new Promise((resolve) => {
    const r = { status: null, body: "", interim: [], reused: null, error: null };
    const req = http.request(url, { method, headers, agent, timeout: 12000 }, (res) => {
      const chunks = [];
      r.status = res.statusCode;
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => { r.body = Buffer.concat(chunks).toString("utf8"); resolve(r); });
      res.on("error", (e) => { r.error = String(e); resolve(r); });
    });
    req.on("information", (info) => r.interim.push(info.statusCode));
    req.on("socket", () => { r.reused = req.reusedSocket; });
    req.on("timeout", () => req.destroy(new Error("timeout: no response within 12 s")));
    req.on("error", (e) => { r.error = String(e); resolve(r); });
    req.end();
  });
}

async function viaFetch(url, method, headers) {
  const r = { status: null, body: "", interim: null, reused: null, error: null };
  try {
    const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(12000) });
    r.status = res.status;
    r.body = await res.text();
  } catch (e) {
    r.error = String(e) + (e.cause ? " (cause: " + e.cause + ")" : "");
  }
  return r;
}

async function main() {
  const extra = ua === undefined ? {} : { "User-Agent": ua };
  const out = [];
  if (mode === "http") {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    out.push(await viaHttp(agent, url1, "PROPFIND", { Depth: "1", ...extra }));
    out.push(await viaHttp(agent, url2, "GET", extra));
    agent.destroy();
  } else if (mode === "fetch") {
    out.push(await viaFetch(url1, "PROPFIND", { Depth: "1", ...extra }));
    // undici hands the socket back to its pool one event-loop turn after the body ended: a
    // fetch issued in the same turn opens a second connection (with or without 1xx, measured)
    await new Promise((resolve) => setImmediate(resolve));
    out.push(await viaFetch(url2, "GET", extra));
  } else {
    console.error("usage: node node_client.js http|fetch URL1 URL2 [User-Agent]");
    process.exit(2);
  }
  console.log(JSON.stringify({ requests: out }));
  process.exit(0);  // fetch's pool keeps the connection open: do not wait for it to idle out
}
main();
