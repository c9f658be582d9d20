// The API page: reads apispec_1.json and lists its operations, each with a form that
// sends a request and shows the answer. No framework, no network beyond this service.
"use strict";

(function () {
  var specURL = new URL("../apispec_1.json", document.baseURI).toString();

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function example(op, param) {
    var ex = (op["x-amples"] || [])[0];
    if (!ex) { return ""; }
    var req = ex.request || {};
    if (param.in === "path" && req.params) { return req.params[param.name] || ""; }
    if (param.in === "query" && req.query && req.query[param.name] !== undefined) { return String(req.query[param.name]); }
    if (param.in === "body") { return JSON.stringify(req.body || (param.schema || {}).example || {}, null, 2); }
    return param.default !== undefined ? String(param.default) : "";
  }

  function operation(base, path, method, op) {
    var inputs = {};
    var rows = [];
    var body = null;
    (op.parameters || []).forEach(function (p) {
      if (p.in === "body") {
        body = el("textarea", {"aria-label": "request body"});
        body.value = example(op, p);
        return;
      }
      var input = el("input", {type: "text", name: p.name, "aria-label": p.name});
      input.value = example(op, p);
      inputs[p.name] = {param: p, input: input};
      rows.push(el("tr", {}, [
        el("td", {}, [el("code", {text: p.name + (p.required ? " *" : "")})]),
        el("td", {text: p.in}),
        el("td", {}, [input]),
        el("td", {"class": "small", text: p.description || ""})
      ]));
    });
    var out = el("pre", {"class": "response", hidden: "hidden"});
    var status = el("p", {"class": "status"});
    var button = el("button", {type: "button", text: "Try it"});
    button.addEventListener("click", function () {
      var url = path;
      var query = new URLSearchParams();
      Object.keys(inputs).forEach(function (name) {
        var p = inputs[name].param;
        var v = inputs[name].input.value;
        if (p.in === "path") {
          url = url.replace("{" + name + "}", encodeURIComponent(v));
        } else if (v !== "") {
          if (p.type === "array") {
            v.split(",").forEach(function (x) { query.append(name, x.trim()); });
          } else {
            query.append(name, v);
          }
        }
      });
      var qs = query.toString();
      var init = {method: method.toUpperCase()};
      if (body) { init.body = body.value; init.headers = {"Content-Type": "application/json"}; }
      status.textContent = "…";
      fetch(base + url + (qs ? "?" + qs : ""), init).then(function (r) {
        return r.text().then(function (t) {
          status.textContent = r.status + " " + r.statusText;
          try { t = JSON.stringify(JSON.parse(t), null, 2); } catch (e) { /* not JSON: shown as it is */ }
          out.textContent = t;
          out.hidden = false;
        });
      }).catch(function (e) {
        status.textContent = "request failed: " + e;
      });
    });
    var children = [
      el("p", {text: op.description || ""}),
      el("table", {"class": "params"}, rows)
    ];
    if (body) { children.push(el("p", {text: "Body (JSON):"}), body); }
    children.push(button, status, out);
    var attrs = {"class": "opblock " + method, id: op.operationId || ""};
    if (method === "post") { attrs.open = "open"; }
    return el("details", attrs, [
      el("summary", {}, [
        el("span", {"class": "method", text: method.toUpperCase()}),
        el("span", {"class": "path", text: path}),
        el("span", {"class": "small", text: "  " + (op.summary || "")})
      ]),
      el("div", {"class": "opbody"}, children)
    ]);
  }

  fetch(specURL).then(function (r) { return r.json(); }).then(function (spec) {
    document.getElementById("title").textContent = spec.info.title;
    document.getElementById("description").textContent = spec.info.description;
    var base = new URL((spec.basePath || "").replace(/\/$/, "") + "/", new URL("..", document.baseURI)).toString().replace(/\/$/, "");
    if (spec.basePath) { base = new URL(spec.basePath.replace(/\/$/, ""), document.baseURI).toString(); }
    var main = document.getElementById("operations");
    main.textContent = "";
    Object.keys(spec.paths).forEach(function (path) {
      ["get", "post"].forEach(function (m) {
        if (spec.paths[path][m]) { main.appendChild(operation(base, path, m, spec.paths[path][m])); }
      });
    });
    main.setAttribute("data-ready", "true");
  }).catch(function (e) {
    document.getElementById("operations").textContent = "Could not load the API description: " + e;
  });
}());
