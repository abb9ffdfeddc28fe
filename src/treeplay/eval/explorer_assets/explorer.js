/* treeplay report: the tree explorer and the before/after programs.
   Reads the JSON in #tp-data (treeplay/eval/explorer_data.py documents it). Builds the DOM with textContent only,
   so program text is never parsed as HTML. Renders lazily, so thousands of branches stay fast: the task list
   draws only the rows in view, a task's nodes and branch rows are drawn when the task is opened, a diff or a
   side-by-side pair of programs when its row is opened. No network, no external file. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("tp-data").textContent);
  var ROW = 28;
  var S = {view: null, shown: [], sel: -1};
  var list = $("tp-list"), detail = $("tp-detail"), spacer = el("div", "tp-spacer");

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c !== null && c !== undefined) parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return parent;
  }
  function badge(label) { return el("span", "tp-badge tp-v-" + label, label); }
  function lines(text) { var l = text.split("\n"); if (l.length && l[l.length - 1] === "") l.pop(); return l; }
  function option(select, value, text) { var o = el("option", null, text); o.value = value; select.appendChild(o); }
  function natural(a, b) {
    var x = parseInt(a.replace(/\D+/g, " "), 10), y = parseInt(b.replace(/\D+/g, " "), 10);
    return (isNaN(x) || isNaN(y) || x === y) ? (a < b ? -1 : a > b ? 1 : 0) : x - y;
  }
  function codeLine(no, mark, text, cls) {
    var l = el("div", "tp-ln" + (cls ? " " + cls : ""));
    return add(l, el("span", "tp-no", no), el("span", "tp-mk", mark), el("span", "tp-tx", text));
  }

  /* ---- views and filters ---------------------------------------------------------------------------- */
  D.views.forEach(function (view) {
    view.tasks.forEach(function (t) {
      var cwes = {};
      t.counts = {};
      D.labels.forEach(function (l) { t.counts[l] = 0; });
      t.b.forEach(function (b) { t.counts[b.v] += 1; });
      t.cwes.forEach(function (c) { cwes[c] = 1; });
      t.nodes.forEach(function (n) { if (n[2]) cwes[n[2]] = 1; });
      t.allCwes = Object.keys(cwes);
    });
  });

  function refill(select, values) {
    var keep = select.value;
    select.length = 1;
    values.forEach(function (v) { option(select, v, v); });
    select.value = values.indexOf(keep) >= 0 ? keep : "";
  }
  function useView(i) {
    var cwes = {}, langs = {};
    S.view = D.views[i];
    S.view.tasks.forEach(function (t) { t.allCwes.forEach(function (c) { cwes[c] = 1; }); langs[t.lang] = 1; });
    refill($("tp-cwe"), Object.keys(cwes).sort(natural));
    refill($("tp-lang"), Object.keys(langs).sort());
    refill($("tp-verdict"), D.labels.filter(function (l) {
      return S.view.tasks.some(function (t) { return t.counts[l] > 0; });
    }));
    applyFilters();
  }
  function applyFilters() {
    var cwe = $("tp-cwe").value, lang = $("tp-lang").value, verdict = $("tp-verdict").value;
    var q = $("tp-search").value.trim().toLowerCase();
    S.shown = S.view.tasks.filter(function (t) {
      return (!cwe || t.allCwes.indexOf(cwe) >= 0) && (!lang || t.lang === lang) &&
        (!verdict || t.counts[verdict] > 0) && (!q || t.id.toLowerCase().indexOf(q) >= 0);
    });
    $("tp-count").textContent = S.shown.length + " of " + S.view.tasks.length + " tasks";
    S.sel = -1;
    list.scrollTop = 0;
    if (S.shown.length) select(0, false);
    else { renderList(); detail.textContent = ""; add(detail, el("p", "tp-muted", "No task matches the filters.")); }
  }

  /* ---- the task list: only the rows in view are in the DOM ------------------------------------------- */
  function renderList() {
    spacer.style.height = S.shown.length * ROW + "px";
    var first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
    var last = Math.min(S.shown.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + 5);
    spacer.textContent = "";
    for (var i = first; i < last; i++) spacer.appendChild(taskRow(i));
  }
  function taskRow(i) {
    var t = S.shown[i], r = el("div", "tp-row" + (i === S.sel ? " tp-sel" : "")), counts = el("span", "tp-counts");
    r.style.top = i * ROW + "px";
    r.dataset.i = i;
    r.dataset.task = t.id;
    r.title = t.id + " (" + t.lang + ", " + t.cwes.join(", ") + ")";
    r.setAttribute("role", "option");
    r.setAttribute("aria-selected", i === S.sel ? "true" : "false");
    D.labels.forEach(function (l) {
      if (!t.counts[l]) return;
      var c = el("span", "tp-v-" + l, t.counts[l]);
      c.title = t.counts[l] + " " + l + " branch(es)";
      add(counts, c);
    });
    return add(r, counts, el("span", "tp-bid", t.id), el("span", "tp-muted", " " + t.lang));
  }
  function select(i, focusBranch) {
    if (i < 0 || i >= S.shown.length) return;
    S.sel = i;
    var top = i * ROW;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW - list.clientHeight;
    renderList();
    renderTask(S.shown[i]);
    if (focusBranch) { var b = detail.querySelector(".tp-br"); if (b) b.focus(); }
  }

  /* ---- a task: golden program, risk nodes, branch rows ----------------------------------------------- */
  function countsText(counts) {
    var parts = D.labels.filter(function (l) { return counts[l]; }).map(function (l) { return counts[l] + " " + l; });
    return parts.length ? " (" + parts.join(", ") + ")" : "";
  }
  function renderTask(t) {
    var byLine = {}, code = el("div", "tp-code tp-golden"), golden = lines(D.texts[t.g]);
    detail.textContent = "";
    detail.scrollTop = 0;
    add(detail, el("h4", "tp-title", t.id), el("p", "tp-muted tp-summary", t.lang + " \u00b7 " + t.cwes.join(", ") +
      " \u00b7 " + t.nodes.length + " risk node(s) \u00b7 " + t.b.length + " branch(es)" + countsText(t.counts) +
      " \u00b7 " + t.pairs.length + " pair(s)"));
    if (!S.view.scored) {
      add(detail, el("p", "tp-muted", "No verdicts in this iteration (" + S.view.mode + " mode: no oracle judged " +
        "the branches; every branch is rejected)."));
    }
    t.nodes.forEach(function (n, k) { (byLine[n[0]] = byLine[n[0]] || []).push(k); });
    golden.forEach(function (text, i) {
      var nodes = byLine[i + 1] || [];
      code.appendChild(codeLine(i + 1, nodes.length ? "\u25c6" : "", text, nodes.length ? "tp-node" : ""));
      nodes.forEach(function (k) { code.appendChild(nodeBox(t, k)); });
    });
    t.nodes.forEach(function (n, k) { if (n[0] > golden.length) code.appendChild(nodeBox(t, k)); });
    detail.appendChild(code);
  }
  function nodeBox(t, k) {
    var n = t.nodes[k], box = el("div", "tp-nodebox");
    var branches = t.b.filter(function (b) { return b.n === k; });
    box.dataset.node = k;
    add(box, el("div", "tp-nodehead", "risk node " + (k + 1) + " of " + t.nodes.length + " \u00b7 line " + n[0] +
      " \u00b7 " + n[1] + (n[2] ? " \u00b7 " + n[2] : "") + (n[3] ? " \u2014 " + n[3] : "")));
    if (!branches.length) add(box, el("div", "tp-muted", "no branches at this node"));
    branches.forEach(function (b) { box.appendChild(branchRow(t, b)); });
    return box;
  }
  function brief(b) {
    var f = b.f || [], bits = [];
    if (b.v === "identical") bits.push("repeats the golden continuation");
    if (f.length) bits.push(f[0][1] + " at line " + f[0][3] + (f.length > 1 ? " (+" + (f.length - 1) + " more)" : ""));
    if (b.parsed === false) bits.push("does not parse");  /* its tests fail too: that says nothing more */
    else {
      if (b.st === false) bits.push("security tests failed");
      if (b.ft === false) bits.push("functional tests failed");
    }
    if (b.to) bits.push("timed out");
    if (b.v === "clean") bits.push("no finding" + (b.ft ? ", tests pass" : ""));
    if (b.v === "unscored") bits.push("no verdict");
    return bits.join("; ");
  }
  function branchRow(t, b) {
    var wrap = el("div", "tp-brwrap"), r = el("div", "tp-br");
    r.tabIndex = 0;
    r.dataset.branch = b.id;
    r.setAttribute("role", "button");
    r.setAttribute("aria-expanded", "false");
    r.style.marginLeft = (b.d - 1) * 1.5 + "em";
    add(r, badge(b.v), el("span", "tp-bid", b.id), el("span", "tp-muted", " \u00b7 " + b.fin + " \u00b7 " + brief(b)));
    r.addEventListener("click", function () { toggle(wrap, function () { return branchBody(t, b); }); });
    return add(wrap, r);
  }
  function toggle(wrap, build) {
    var r = wrap.firstChild, body = wrap.querySelector(".tp-body");
    r.classList.toggle("tp-open", !body);
    r.setAttribute("aria-expanded", body ? "false" : "true");
    if (body) wrap.removeChild(body);
    else wrap.appendChild(build());
  }

  /* ---- a branch: verdict, pairs, diff ----------------------------------------------------------------- */
  function verdictDetails(v) {
    var box = el("div", "tp-verdict"), f = v.f || [], facts = el("div", "tp-facts");
    if (f.length) {
      var table = el("table", "tp-findings"), head = el("tr");
      ["tool", "rule", "CWE", "line", "severity", "message"].forEach(function (h) { head.appendChild(el("th", null, h)); });
      table.appendChild(head);
      f.forEach(function (x) {
        var tr = el("tr");
        x.forEach(function (c) { tr.appendChild(el("td", null, c === null ? "" : c)); });
        table.appendChild(tr);
      });
      box.appendChild(table);
    } else if (v.v === "clean" || v.v === "vulnerable" || v.v === "broken") {
      add(facts, el("span", null, "no analyzer finding"));
    }
    if (v.parsed === false) add(facts, el("span", "tp-fail", "does not parse"));
    if (v.ft !== undefined) add(facts, el("span", v.ft ? "tp-pass" : "tp-fail", "functional tests " + (v.ft ? "pass" : "fail")));
    if (v.st !== undefined) add(facts, el("span", v.st ? "tp-pass" : "tp-fail", "security tests " + (v.st ? "pass" : "fail")));
    if (v.to) add(facts, el("span", "tp-fail", "timed out"));
    if (v.v === "unscored") add(facts, el("span", null, "no verdict"));
    add(box, facts.childNodes.length ? facts : null, v.err ? el("pre", "tp-err", v.err) : null);
    return box;
  }
  function pairsOf(t, b) {
    var mine = t.pairs.filter(function (p) { return p[1] === b.id || p[2] === b.id; });
    if (!mine.length) {
      return el("div", "tp-pairs", "pairs: none" + (b.v === "identical" ? " (an identical branch is dropped)" : ""));
    }
    return el("div", "tp-pairs", "pairs: " + mine.map(function (p) {
      return "chosen " + p[1] + " > rejected " + p[2] + " (" + p[3] + ")";
    }).join("; "));
  }
  function branchBody(t, b) {
    var body = el("div", "tp-body");
    add(body, verdictDetails(b), pairsOf(t, b), el("div", "tp-muted", "diff against the golden program from line " +
      (b.s + 1) + " to " + b.e + (b.d > 1 ? " (depth " + b.d + ", forks at line " + b.l + ")" : "") +
      "; finish: " + b.fin), diffView(lines(D.texts[t.g]), b));
    return body;
  }
  function diffView(golden, b) {
    var box = el("div", "tp-code tp-diff"), g = b.s, p = b.s, flagged = {};
    (b.f || []).forEach(function (f) { flagged[f[3]] = 1; });
    function show(i) { p += 1; box.appendChild(codeLine(p, "", golden[i], flagged[p] ? "tp-flag" : "")); }
    function same(from, to, lead, trail) {  /* unchanged golden lines: those next to a change, the rest folded */
      var i, fold = to - from - lead - trail;
      if (fold < 2) { for (i = from; i < to; i++) show(i); return; }
      for (i = from; i < from + lead; i++) show(i);
      box.appendChild(codeLine("", "", "\u2026 " + fold + " unchanged line(s)", "tp-skip"));
      p += fold;
      for (i = to - trail; i < to; i++) show(i);
    }
    b.h.forEach(function (h, k) {
      same(g, h[0], k === 0 ? 0 : 3, 3);
      for (var i = h[0]; i < h[1]; i++) box.appendChild(codeLine("", "-", golden[i], "tp-del"));
      if (h[2] !== null) {
        h[2].split("\n").forEach(function (text) {
          p += 1;
          box.appendChild(codeLine(p, "+", text, "tp-add" + (flagged[p] ? " tp-flag" : "")));
        });
      }
      g = h[1];
    });
    same(g, b.e, 3, b.h.length ? 0 : 3);
    if (!b.h.length) add(box, codeLine("", "", "(no line differs from the golden program)", "tp-skip"));
    return box;
  }

  /* ---- before/after programs -------------------------------------------------------------------------- */
  function renderChanges() {
    var c = D.changes[+$("tp-cmp").value], box = $("tp-changes");
    box.textContent = "";
    $("tp-cmp-count").textContent = c.items.length + " of " + c.compared + " prompts changed verdict";
    if (!c.items.length) add(box, el("p", "tp-muted", "No prompt changed verdict."));
    c.items.forEach(function (it) {
      var wrap = el("div", "tp-chg"), r = el("div", "tp-br tp-chgrow");
      r.tabIndex = 0;
      r.dataset.task = it.id;
      r.setAttribute("role", "button");
      add(r, el("span", "tp-dir tp-dir-" + it.dir, {better: "\u25b2", worse: "\u25bc", changed: "\u25c6"}[it.dir]),
        badge(it.b.v), "\u2192 ", badge(it.a.v), el("span", "tp-bid", it.id),
        el("span", "tp-muted", " " + (it.lang || "") + " " + (it.cwes || []).join(", ")));
      r.addEventListener("click", function () { toggle(wrap, function () { return sides(c, it); }); });
      box.appendChild(add(wrap, r));
    });
  }
  function programLines(s) { return lines((s.p === null ? "" : D.texts[s.p]) + s.c); }
  function sides(c, it) {
    var before = programLines(it.b), after = programLines(it.a), grid = el("div", "tp-sides tp-body");
    return add(grid, side(c.from, it.b, before, after), side(c.to, it.a, after, before));
  }
  function side(title, s, mine, other) {
    var col = el("div", "tp-side"), code = el("div", "tp-code"), seen = {}, flagged = {};
    other.forEach(function (l) { seen[l] = 1; });
    (s.f || []).forEach(function (f) { flagged[f[3]] = 1; });
    add(col, el("div", "tp-nodehead", title + " "), verdictDetails(s));
    col.firstChild.appendChild(badge(s.v));
    if (s.p === null) add(col, el("div", "tp-muted", "(the task file is not in the run: the completion alone)"));
    mine.forEach(function (text, i) {
      var cls = (seen[text] ? "" : "tp-other") + (flagged[i + 1] ? " tp-flag" : "");
      code.appendChild(codeLine(i + 1, "", text, cls));
    });
    return add(col, code);
  }

  /* ---- keyboard ---------------------------------------------------------------------------------------- */
  function moveFocus(container, selector, from, step) {
    var all = Array.prototype.slice.call(container.querySelectorAll(selector)), i = all.indexOf(from) + step;
    if (i >= 0 && i < all.length) { all[i].focus(); all[i].scrollIntoView({block: "nearest"}); }
  }
  function nodeJump(row, step) {
    var boxes = Array.prototype.slice.call(detail.querySelectorAll(".tp-nodebox"));
    var target = boxes[boxes.indexOf(row.closest(".tp-nodebox")) + step];
    var first = target && target.querySelector(".tp-br");
    if (first) { first.focus(); first.scrollIntoView({block: "nearest"}); }
  }
  list.addEventListener("keydown", function (e) {
    var step = {ArrowDown: 1, j: 1, ArrowUp: -1, k: -1, PageDown: 10, PageUp: -10}[e.key];
    if (step) select(Math.max(0, Math.min(S.shown.length - 1, S.sel < 0 ? 0 : S.sel + step)), false);
    else if (e.key === "Home") select(0, false);
    else if (e.key === "End") select(S.shown.length - 1, false);
    else if (e.key === "Enter" || e.key === "ArrowRight") select(S.sel < 0 ? 0 : S.sel, true);
    else return;
    e.preventDefault();
  });
  function rowKeys(container, e) {
    var row = e.target.closest(".tp-br");
    if (!row) return;
    if (e.key === "Enter" || e.key === " ") row.click();
    else if (e.key === "ArrowDown" || e.key === "j") moveFocus(container, ".tp-br", row, 1);
    else if (e.key === "ArrowUp" || e.key === "k") moveFocus(container, ".tp-br", row, -1);
    else if (container === detail && (e.key === "n" || e.key === "p")) nodeJump(row, e.key === "n" ? 1 : -1);
    else if (container === detail && (e.key === "Escape" || e.key === "ArrowLeft")) list.focus();
    else return;
    e.preventDefault();
  }
  detail.addEventListener("keydown", function (e) { rowKeys(detail, e); });
  $("tp-changes").addEventListener("keydown", function (e) { rowKeys($("tp-changes"), e); });
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (e.key === "/" && tag !== "input" && tag !== "select" && tag !== "textarea") {
      $("tp-search").focus();
      e.preventDefault();
    }
  });

  /* ---- start ------------------------------------------------------------------------------------------- */
  var pending = false;
  list.appendChild(spacer);
  list.addEventListener("scroll", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; renderList(); });
  });
  list.addEventListener("click", function (e) {
    var r = e.target.closest(".tp-row");
    if (r) { select(+r.dataset.i, false); list.focus({preventScroll: true}); }
  });
  ["tp-cwe", "tp-lang", "tp-verdict"].forEach(function (id) { $(id).addEventListener("change", applyFilters); });
  $("tp-search").addEventListener("input", applyFilters);
  $("tp-search").addEventListener("keydown", function (e) { if (e.key === "Enter") list.focus(); });
  D.views.forEach(function (v, i) { option($("tp-view"), i, v.title + " (" + v.tasks.length + " trees)"); });
  $("tp-view").addEventListener("change", function () { useView(+this.value); });
  if (D.views.length) useView(0);
  else add(detail, el("p", "tp-muted", "No trees in these runs (iter_<t>/trees.jsonl)."));
  D.changes.forEach(function (c, i) { option($("tp-cmp"), i, c.title + " (" + c.items.length + " changed)"); });
  $("tp-cmp").addEventListener("change", renderChanges);
  if (D.changes.length) renderChanges();
  else add($("tp-changes"), el("p", "tp-muted", "No before/after programs: the runs have no two evaluations of " +
    "one benchmark with their programs (generations.jsonl and verdicts.jsonl)."));
  $("tree-explorer").dataset.ready = "1";
})();
