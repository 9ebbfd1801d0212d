/* report.js - the interactive parts of benchline's HTML report: filters on the index, charts with tooltips,
 * zoom and pan on series and run pages, sortable tables. Written for this project, no libraries; it runs from
 * file:// without network. Built into benchline from lib/report_assets/ and written to assets/report.js.
 *
 * Every text from the database reaches the page through textContent (never innerHTML), so it shows as text.
 * Errors are caught and written into the page (#bl-errors), so a headless browser can check for them; with
 * "#selftest" in the URL the page also checks itself and writes the result as JSON into #bl-selftest. */
(function () {
  "use strict";

  var errors = [];
  function recordError(msg) {
    errors.push(String(msg));
    var el = document.getElementById("bl-errors");
    if (el) {
      el.hidden = false;
      el.textContent = "JavaScript errors:\n" + errors.join("\n");
    }
    document.documentElement.setAttribute("data-bl-errors", String(errors.length));
  }
  window.addEventListener("error", function (e) {
    recordError((e.message || "error") + " (" + (e.filename || "?") + ":" + (e.lineno || 0) + ")");
  });
  window.addEventListener("unhandledrejection", function (e) {
    recordError("unhandled rejection: " + (e.reason && e.reason.message ? e.reason.message : String(e.reason)));
  });
  if (window.console && console.error) {
    var consoleError = console.error;
    console.error = function () {
      recordError("console.error: " + Array.prototype.join.call(arguments, " "));
      consoleError.apply(console, arguments);
    };
  }

  /* ---- helpers ------------------------------------------------------------------------------------------ */

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function fixed(v, d) { return v.toFixed(d); }

  /* The same formats as bl_format_value in lib/series.c. */
  function formatValue(v, unit) {
    if (v === null || v === undefined || !isFinite(v)) return "-";
    var a = Math.abs(v);
    if (unit === "s") {
      if (a >= 1 || a === 0) return fixed(v, 3) + " s";
      if (a >= 1e-3) return fixed(v * 1e3, 2) + " ms";
      if (a >= 1e-6) return fixed(v * 1e6, 2) + " us";
      return fixed(v * 1e9, 1) + " ns";
    }
    if (unit === "B") {
      if (a >= 1073741824) return fixed(v / 1073741824, 2) + " GiB";
      if (a >= 1048576) return fixed(v / 1048576, 1) + " MiB";
      if (a >= 1024) return fixed(v / 1024, 1) + " KiB";
      return fixed(v, 0) + " B";
    }
    return String(Number(v.toPrecision(4))) + (unit ? " " + unit : "");
  }

  function formatPercent(r) {
    if (r === null || r === undefined || !isFinite(r)) return "-";
    return (r >= 0 ? "+" : "") + (100 * r).toFixed(1) + "%";
  }

  function formatP(p) {
    if (p === null || p === undefined || !isFinite(p)) return "-";
    return p < 0.0001 ? "<0.0001" : p.toFixed(4);
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }
  function formatDate(t) {
    var d = new Date(t * 1000);
    return d.getUTCFullYear() + "-" + pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate()) + " " +
      pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + " UTC";
  }

  function readData() {
    var s = document.getElementById("bl-data");
    return s ? JSON.parse(s.textContent) : null;
  }

  /* The number stream of lib/report_escape.c: base-44 digits, least significant first; a digit from the
   * second half of the alphabet means more digits follow. */
  function Reader(digits, s) {
    this.s = s || "";
    this.i = 0;
    this.val = {};
    for (var k = 0; k < digits.length; k++) this.val[digits.charCodeAt(k)] = k;
    this.half = digits.length / 2;
  }
  Reader.prototype.more = function () { return this.i < this.s.length; };
  Reader.prototype.u = function () {
    var r = 0, scale = 1, h = this.half;
    for (;;) {
      if (this.i >= this.s.length) throw new Error("benchline data: stream ends early");
      var d = this.val[this.s.charCodeAt(this.i++)];
      if (d === undefined) throw new Error("benchline data: bad digit");
      if (d < h) return r + d * scale;
      r += (d - h) * scale;
      scale *= h;
    }
  };
  Reader.prototype.z = function () {
    var u = this.u();
    return u % 2 ? -(u + 1) / 2 : u / 2;
  };

  function commitUrl(template, sha) {
    return template ? template.split("{sha}").join(sha) : null;
  }

  /* Commits of the history (commits.js): sha, subject, author, time by position. */
  function commits() {
    var c = window.BL_COMMITS;
    if (!c) throw new Error("commits.js did not load");
    if (!c.decoded) {
      var rd = new Reader(c.digits, c.author), rt = new Reader(c.digits, c.time);
      c.authorOf = new Array(c.n);
      c.timeOf = new Array(c.n);
      var t = 0;
      for (var i = 0; i < c.n; i++) {
        c.authorOf[i] = c.authors[rd.u()];
        t += rt.z();
        c.timeOf[i] = t;
      }
      c.decoded = true;
    }
    return {
      n: c.n,
      sha: function (i) { return c.sha.substr(i * 40, 40); },
      subject: function (i) { return c.subject[i]; },
      author: function (i) { return c.authorOf[i]; },
      time: function (i) { return c.timeOf[i]; }
    };
  }

  /* ---- series data -------------------------------------------------------------------------------------- */

  function decodeSeries(d) {
    var layout = new Reader(d.digits, d.layout), vals = new Reader(d.digits, d.v);
    var pts = [], pos = -1, first = 0, fi = 0;
    var invq = d.q < 1 ? Math.round(1 / d.q) : 0;
    function value(k) { return invq ? k / invq : k * d.q; }
    while (layout.more()) {
      var gap = layout.u(), len = layout.u(), code = layout.u();
      for (var k = 0; k < len; k++) {
        pos = k === 0 ? pos + 1 + gap : pos + 1;
        if (code === 0) {
          pts.push({pos: pos, n: 0, failed: true, status: d.fail.charAt(fi++) === "b" ? "build-failed" : "failed"});
          continue;
        }
        var ks = [first + vals.z()];
        first = ks[0];
        for (var j = 1; j < code; j++) ks.push(ks[j - 1] + vals.u());
        var v = ks.map(value), n = v.length;
        var med = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        var ci = d.ci[n];
        var devs = v.map(function (x) { return Math.abs(x - med); }).sort(function (a, b) { return a - b; });
        var mad = n % 2 ? devs[(n - 1) / 2] : (devs[n / 2 - 1] + devs[n / 2]) / 2;
        pts.push({
          pos: pos, n: n, failed: false, vals: v, med: med, mad: mad,
          lo: ci ? v[ci[0]] : v[0], hi: ci ? v[ci[1]] : v[n - 1], ciValid: !!ci
        });
      }
    }
    return pts;
  }

  /* ---- a canvas chart with zoom, pan and tooltips ------------------------------------------------------- */

  function niceStep(span, count) {
    var raw = span / Math.max(1, count), mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
  }

  function Chart(box, opts) {
    this.box = box;
    this.opts = opts; /* {xMin, xMax, yRange(x0,x1) -> [lo,hi], draw(ctx, sx, sy, x0, x1), hover(x) -> tooltip
                         node or null, xLabel(x), click(x), yFormat(v), canLog} */
    this.canvas = el("canvas");
    this.tip = el("div", "bl-tip");
    this.tip.setAttribute("role", "tooltip");
    this.tip.hidden = true;
    box.appendChild(this.canvas);
    box.appendChild(this.tip);
    this.x0 = opts.xMin - 0.5;
    this.x1 = opts.xMax + 0.5;
    this.log = false;
    this.hoverX = null;
    this.margin = {l: 74, r: 12, t: 22, b: 34};
    var self = this;
    this.canvas.addEventListener("mousemove", function (e) { self.onMove(e); });
    this.canvas.addEventListener("mouseleave", function () { self.hoverX = null; self.tip.hidden = true; self.draw(); });
    this.canvas.addEventListener("wheel", function (e) {
      e.preventDefault();
      self.zoom(e.deltaY < 0 ? 1 / 1.25 : 1.25, self.xAt(e));
    }, {passive: false});
    this.canvas.addEventListener("mousedown", function (e) {
      self.drag = {x: e.clientX, x0: self.x0, x1: self.x1, moved: false};
    });
    window.addEventListener("mouseup", function (e) {
      if (self.drag && !self.drag.moved && e.target === self.canvas && self.opts.click) {
        var x = self.nearestX(self.xAt(e));
        if (x !== null) self.opts.click(x);
      }
      self.drag = null;
    });
    this.canvas.addEventListener("dblclick", function () { self.reset(); });
    window.addEventListener("resize", function () { self.draw(); });
    this.draw();
  }
  Chart.prototype.plot = function () {
    var w = this.canvas.clientWidth, h = this.canvas.clientHeight, m = this.margin;
    return {l: m.l, t: m.t, w: Math.max(10, w - m.l - m.r), h: Math.max(10, h - m.t - m.b), cw: w, ch: h};
  };
  Chart.prototype.xAt = function (e) {
    var r = this.canvas.getBoundingClientRect(), p = this.plot();
    return this.x0 + (e.clientX - r.left - p.l) / p.w * (this.x1 - this.x0);
  };
  Chart.prototype.nearestX = function (x) { return this.opts.nearest ? this.opts.nearest(x, this.x0, this.x1) : null; };
  Chart.prototype.clamp = function () {
    var lo = this.opts.xMin - 0.5, hi = this.opts.xMax + 0.5, span = this.x1 - this.x0;
    if (span > hi - lo) { this.x0 = lo; this.x1 = hi; return; }
    if (span < 3) { var c = (this.x0 + this.x1) / 2; this.x0 = c - 1.5; this.x1 = c + 1.5; span = 3; }
    if (this.x0 < lo) { this.x0 = lo; this.x1 = lo + span; }
    if (this.x1 > hi) { this.x1 = hi; this.x0 = hi - span; }
  };
  Chart.prototype.zoom = function (factor, at) {
    if (at === undefined || at === null || !isFinite(at)) at = (this.x0 + this.x1) / 2;
    this.x0 = at - (at - this.x0) * factor;
    this.x1 = at + (this.x1 - at) * factor;
    this.clamp();
    this.draw();
  };
  Chart.prototype.show = function (lo, hi) { this.x0 = lo; this.x1 = hi; this.clamp(); this.draw(); };
  Chart.prototype.reset = function () { this.x0 = this.opts.xMin - 0.5; this.x1 = this.opts.xMax + 0.5; this.draw(); };
  Chart.prototype.setLog = function (on) { this.log = !!on; this.draw(); };
  Chart.prototype.onMove = function (e) {
    if (this.drag) {
      var p = this.plot(), dx = (e.clientX - this.drag.x) / p.w * (this.drag.x1 - this.drag.x0);
      if (Math.abs(e.clientX - this.drag.x) > 3) this.drag.moved = true;
      this.x0 = this.drag.x0 - dx;
      this.x1 = this.drag.x1 - dx;
      this.clamp();
    }
    var x = this.nearestX(this.xAt(e));
    this.hoverX = x;
    this.draw();
    var node = x === null ? null : this.opts.hover(x);
    if (!node) { this.tip.hidden = true; return; }
    this.tip.textContent = "";
    this.tip.appendChild(node);
    this.tip.hidden = false;
    var r = this.canvas.getBoundingClientRect(), px = e.clientX - r.left, py = e.clientY - r.top;
    var tw = this.tip.offsetWidth, th = this.tip.offsetHeight;
    this.tip.style.left = Math.max(0, px + 14 + tw > r.width ? px - tw - 14 : px + 14) + "px";
    this.tip.style.top = Math.max(0, Math.min(py + 10, r.height - th - 4)) + "px";
  };
  Chart.prototype.draw = function () {
    var dpr = window.devicePixelRatio || 1, c = this.canvas, p = this.plot();
    if (c.width !== Math.round(p.cw * dpr) || c.height !== Math.round(p.ch * dpr)) {
      c.width = Math.round(p.cw * dpr);
      c.height = Math.round(p.ch * dpr);
    }
    var ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, p.cw, p.ch);
    var x0 = this.x0, x1 = this.x1, log = this.log && this.opts.canLog;
    var yr = this.opts.yRange(x0, x1, log);
    var lo = yr[0], hi = yr[1];
    if (!isFinite(lo) || !isFinite(hi)) { lo = 0; hi = 1; }
    var tlo = log ? Math.log(lo) / Math.LN10 : lo, thi = log ? Math.log(hi) / Math.LN10 : hi;
    if (thi - tlo <= 0) { var c0 = tlo; tlo = c0 - (Math.abs(c0) * 0.05 || 0.5); thi = c0 + (Math.abs(c0) * 0.05 || 0.5); }
    var padY = (thi - tlo) * 0.06;
    tlo -= padY; thi += padY;
    if (!log && lo >= 0 && tlo < 0) tlo = 0;
    var sx = function (x) { return p.l + (x - x0) / (x1 - x0) * p.w; };
    var sy = function (v) {
      var t = log ? (v > 0 ? Math.log(v) / Math.LN10 : tlo) : v;
      return p.t + (1 - (t - tlo) / (thi - tlo)) * p.h;
    };
    /* axes and grid */
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#5f6b7a";
    ctx.strokeStyle = "#e6eaef";
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    var ticks = [];
    if (log) {
      for (var e = Math.floor(tlo); e <= Math.ceil(thi); e++)
        [1, 2, 5].forEach(function (m) { var v = m * Math.pow(10, e), t = Math.log(v) / Math.LN10; if (t >= tlo && t <= thi) ticks.push(v); });
    } else {
      var st = niceStep(thi - tlo, Math.max(2, Math.floor(p.h / 50)));
      for (var v = Math.ceil(tlo / st) * st; v <= thi + st * 1e-9; v += st) ticks.push(Math.abs(v) < st * 1e-9 ? 0 : v);
    }
    var yf = this.opts.yFormat || function (v) { return String(v); };
    ticks.forEach(function (v) {
      var y = Math.round(sy(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(p.l, y); ctx.lineTo(p.l + p.w, y); ctx.stroke();
      ctx.fillText(yf(v), p.l - 6, y);
    });
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    var xs = niceStep(x1 - x0, Math.max(2, Math.floor(p.w / 140)));
    if (this.opts.integerX && xs < 1) xs = 1;
    for (var xv = Math.ceil(x0 / xs) * xs; xv <= x1; xv += xs) {
      var xx = Math.round(sx(xv)) + 0.5;
      ctx.beginPath(); ctx.moveTo(xx, p.t); ctx.lineTo(xx, p.t + p.h); ctx.stroke();
      ctx.fillText(this.opts.xLabel(xv), xx, p.t + p.h + 6);
    }
    ctx.strokeStyle = "#aab4c0";
    ctx.strokeRect(p.l + 0.5, p.t + 0.5, p.w, p.h);
    ctx.save();
    ctx.beginPath();
    ctx.rect(p.l, p.t, p.w, p.h);
    ctx.clip();
    this.opts.draw(ctx, sx, sy, x0, x1, p);
    if (this.hoverX !== null) {
      var hx = Math.round(sx(this.hoverX)) + 0.5;
      ctx.strokeStyle = "rgba(29,35,43,0.5)";
      ctx.setLineDash([3, 3]);
      ctx.beginPath(); ctx.moveTo(hx, p.t); ctx.lineTo(hx, p.t + p.h); ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.restore();
    this.drawn = (this.drawn || 0) + 1;
  };

  /* ---- series page -------------------------------------------------------------------------------------- */

  function lowerBound(pts, pos) {
    var lo = 0, hi = pts.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (pts[mid].pos < pos) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function seriesPage(d) {
    var C = commits();
    var pts = decodeSeries(d);
    var meas = pts.filter(function (p) { return !p.failed; });
    var byPos = {};
    pts.forEach(function (p) { byPos[p.pos] = p; });
    var changesAt = {};
    d.changes.forEach(function (c) { (changesAt[c[0]] = changesAt[c[0]] || []).push(c); });
    var canLog = meas.every(function (p) { return p.vals[0] > 0; });
    var box = document.getElementById("chart");
    var detail = document.getElementById("detail");
    var colors = {regressed: "#c62828", improved: "#2e7d32", changed: "#b26a00"};

    function tipNode(pos, full) {
      var frag = document.createDocumentFragment(), p = byPos[pos];
      var line = el("div");
      line.appendChild(el("span", "t-sha", C.sha(pos).substr(0, 10)));
      line.appendChild(el("span", "t-dim", "  commit " + (pos + 1) + " of " + C.n));
      frag.appendChild(line);
      frag.appendChild(el("div", "t-sub", C.subject(pos)));
      frag.appendChild(el("div", "t-dim", C.author(pos) + " \u00b7 " + formatDate(C.time(pos))));
      if (!p) {
        frag.appendChild(el("div", "t-dim", "not measured"));
      } else if (p.failed) {
        frag.appendChild(el("div", "v-failed", p.status === "build-failed" ? "build failed" : "benchmark failed"));
      } else {
        frag.appendChild(el("div", null, "median " + formatValue(p.med, d.unit) + " (n=" + p.n + ")"));
        frag.appendChild(el("div", "t-dim", (p.ciValid ? "95% CI of the median " : "range (no 95% CI under 6 runs) ") +
          "[" + formatValue(p.lo, d.unit) + ", " + formatValue(p.hi, d.unit) + "]"));
        var cv = p.med ? " (" + (100 * p.mad / Math.abs(p.med)).toFixed(1) + "%)" : "";
        frag.appendChild(el("div", "t-dim", "spread: MAD " + formatValue(p.mad, d.unit) + cv + ", min " +
          formatValue(p.vals[0], d.unit) + ", max " + formatValue(p.vals[p.n - 1], d.unit)));
        if (full || p.n <= 12)
          frag.appendChild(el("div", "t-dim", "runs: " + p.vals.map(function (v) { return formatValue(v, d.unit); }).join(", ")));
      }
      (changesAt[pos] || []).forEach(function (c) {
        frag.appendChild(el("div", "v-" + c[8], "change point: " + formatPercent(c[4]) + " [" + formatPercent(c[5]) +
          ", " + formatPercent(c[6]) + "], p=" + formatP(c[7]) + " (" + c[8] + ")"));
      });
      if (d.url && !full) frag.appendChild(el("div", "t-dim", "click to open the commit"));
      return frag;
    }

    function select(pos) {
      if (!detail) return;
      detail.textContent = "";
      detail.appendChild(tipNode(pos, true));
      var links = el("div");
      var url = commitUrl(d.url, C.sha(pos));
      if (url) {
        var a = el("a", null, "open commit " + C.sha(pos).substr(0, 10));
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        links.appendChild(a);
      }
      var runs = d.runs[String(pos)];
      if (runs) {
        links.appendChild(el("span", null, (url ? " \u00b7 " : "") + "device timelines of its runs: "));
        runs.forEach(function (r, k) {
          var a = el("a", null, "run " + r[1]);
          a.href = "../runs/r" + r[0] + ".html";
          if (k) links.appendChild(document.createTextNode(", "));
          links.appendChild(a);
        });
      }
      detail.appendChild(links);
    }

    var chart = new Chart(box, {
      xMin: 0, xMax: Math.max(0, C.n - 1), canLog: canLog, integerX: true,
      xLabel: function (x) {
        var i = Math.round(x);
        if (i < 0 || i >= C.n) return "";
        var t = new Date(C.time(i) * 1000);
        return C.sha(i).substr(0, 7) + " " + t.getUTCFullYear() + "-" + pad2(t.getUTCMonth() + 1) + "-" + pad2(t.getUTCDate());
      },
      yFormat: function (v) { return formatValue(v, d.unit); },
      yRange: function (x0, x1, log) {
        var lo = Infinity, hi = -Infinity;
        for (var i = lowerBound(meas, Math.ceil(x0)); i < meas.length && meas[i].pos <= x1; i++) {
          var p = meas[i];
          lo = Math.min(lo, p.vals[0], p.lo);
          hi = Math.max(hi, p.vals[p.n - 1], p.hi);
        }
        if (lo === Infinity) meas.forEach(function (p) { lo = Math.min(lo, p.vals[0]); hi = Math.max(hi, p.vals[p.n - 1]); });
        return [lo, hi];
      },
      nearest: function (x, x0, x1) {
        var i = lowerBound(pts, x);
        var best = null;
        [i - 1, i].forEach(function (k) {
          if (k >= 0 && k < pts.length && pts[k].pos >= x0 && pts[k].pos <= x1 &&
              (best === null || Math.abs(pts[k].pos - x) < Math.abs(best - x))) best = pts[k].pos;
        });
        return best;
      },
      hover: function (pos) { return tipNode(pos, false); },
      click: function (pos) {
        select(pos);
        var url = commitUrl(d.url, C.sha(pos));
        if (url) window.open(url, "_blank", "noopener");
      },
      draw: function (ctx, sx, sy, x0, x1, plot) {
        var i0 = Math.max(0, lowerBound(pts, Math.floor(x0)) - 1), i1 = Math.min(pts.length, lowerBound(pts, Math.ceil(x1)) + 1);
        var dense = (i1 - i0) > plot.w / 2;
        /* confidence band, broken at failures */
        ctx.fillStyle = "rgba(47,111,189,0.18)";
        var run = [];
        function flush() {
          if (run.length) {
            ctx.beginPath();
            run.forEach(function (p, k) { var X = sx(p.pos); if (k) ctx.lineTo(X, sy(p.hi)); else ctx.moveTo(X, sy(p.hi)); });
            for (var k = run.length - 1; k >= 0; k--) ctx.lineTo(sx(run[k].pos), sy(run[k].lo));
            ctx.closePath();
            if (run.length === 1) { var X = sx(run[0].pos); ctx.fillRect(X - 2, sy(run[0].hi), 4, sy(run[0].lo) - sy(run[0].hi)); }
            else ctx.fill();
          }
          run = [];
        }
        for (var i = i0; i < i1; i++) { if (pts[i].failed) flush(); else run.push(pts[i]); }
        flush();
        /* every run */
        ctx.fillStyle = "rgba(29,35,43,0.38)";
        var r = dense ? 1 : 2;
        for (i = i0; i < i1; i++) {
          if (pts[i].failed) continue;
          var X = sx(pts[i].pos);
          for (var j = 0; j < pts[i].n; j++) ctx.fillRect(X - r / 2, sy(pts[i].vals[j]) - r / 2, r, r);
        }
        /* medians: solid between adjacent commits, dashed over unmeasured ones, broken at failures */
        ctx.strokeStyle = "#2f6fbd";
        ctx.lineWidth = 1.6;
        var prev = null;
        for (i = i0; i < i1; i++) {
          var p = pts[i];
          if (p.failed) { prev = null; continue; }
          if (prev) {
            ctx.setLineDash(p.pos - prev.pos > 1 ? [4, 4] : []);
            ctx.beginPath(); ctx.moveTo(sx(prev.pos), sy(prev.med)); ctx.lineTo(sx(p.pos), sy(p.med)); ctx.stroke();
          }
          if (!dense) { ctx.fillStyle = "#2f6fbd"; ctx.fillRect(sx(p.pos) - 2, sy(p.med) - 2, 4, 4); }
          prev = p;
        }
        ctx.setLineDash([]);
        /* failures */
        ctx.strokeStyle = "#c62828";
        ctx.lineWidth = 1.5;
        for (i = i0; i < i1; i++) {
          if (!pts[i].failed) continue;
          X = sx(pts[i].pos);
          var Y = plot.t + plot.h - 8;
          ctx.fillStyle = "rgba(198,40,40,0.08)";
          ctx.fillRect(X - 3, plot.t, 6, plot.h);
          ctx.beginPath(); ctx.moveTo(X - 4, Y - 4); ctx.lineTo(X + 4, Y + 4); ctx.moveTo(X + 4, Y - 4); ctx.lineTo(X - 4, Y + 4); ctx.stroke();
        }
        /* change points */
        ctx.font = "bold 11px system-ui, sans-serif";
        ctx.textAlign = "left";
        ctx.textBaseline = "top";
        d.changes.forEach(function (c, k) {
          if (c[0] < x0 - 1 || c[0] > x1 + 1) return;
          var col = colors[c[8]] || "#b26a00", X = Math.round(sx(c[0] - 0.5)) + 0.5;
          ctx.strokeStyle = col;
          ctx.fillStyle = col;
          ctx.lineWidth = 1.5;
          ctx.setLineDash([6, 3]);
          ctx.beginPath(); ctx.moveTo(X, plot.t); ctx.lineTo(X, plot.t + plot.h); ctx.stroke();
          ctx.setLineDash([]);
          ctx.beginPath(); ctx.moveTo(sx(c[1]), sy(c[2])); ctx.lineTo(X, sy(c[2])); ctx.moveTo(X, sy(c[3]));
          ctx.lineTo(sx(c[0]), sy(c[3])); ctx.stroke();
          ctx.fillText(formatPercent(c[4]), X + 3, plot.t + 2 + (k % 3) * 13);
        });
      }
    });
    box.setAttribute("data-points", String(pts.length));
    var logBox = document.getElementById("log");
    if (logBox) {
      logBox.disabled = !canLog;
      if (!canLog) logBox.parentNode.title = "some values are zero or negative";
      logBox.addEventListener("change", function () { chart.setLog(logBox.checked); });
    }
    function on(id, fn) { var b = document.getElementById(id); if (b) b.addEventListener("click", fn); }
    on("zoom-in", function () { chart.zoom(1 / 1.5); });
    on("zoom-out", function () { chart.zoom(1.5); });
    on("reset", function () { chart.reset(); });
    on("recent", function () { chart.show(C.n - 100.5, C.n - 0.5); });
    /* "#c=POS" (links from the index) zooms to that commit and selects it. */
    var m = /(?:^#|&)c=(\d+)/.exec(location.hash);
    var focus = m ? +m[1] : (meas.length ? meas[meas.length - 1].pos : null);
    if (m && focus < C.n) chart.show(focus - 60, focus + 60);
    if (focus !== null && focus < C.n) select(focus);
    return {
      chart: chart,
      selftest: function () {
        /* hover the newest measured commit the way a mouse would */
        var target = meas.length ? meas[meas.length - 1].pos : null, res = {charts: 0, points: pts.length};
        res.charts = document.querySelectorAll(".bl-chart canvas").length;
        if (target !== null) {
          chart.show(target - 30, target + 5);
          var rect = chart.canvas.getBoundingClientRect(), p = chart.plot();
          var cx = rect.left + p.l + (target - chart.x0) / (chart.x1 - chart.x0) * p.w;
          chart.canvas.dispatchEvent(new MouseEvent("mousemove", {clientX: cx, clientY: rect.top + p.t + p.h / 2, bubbles: true}));
          res.tooltip = {visible: !chart.tip.hidden, text: chart.tip.textContent, subject: C.subject(target),
            hasElements: chart.tip.querySelectorAll("script,img,iframe,textarea").length};
        }
        return res;
      }
    };
  }

  /* ---- run page ----------------------------------------------------------------------------------------- */

  function runPage(d) {
    var holder = document.getElementById("timelines"), charts = [];
    d.series.forEach(function (s) {
      var wrap = el("div");
      wrap.appendChild(el("h3", null, s.label + (s.unit ? " (" + s.unit + ")" : "")));
      var box = el("div", "bl-chart small");
      wrap.appendChild(box);
      holder.appendChild(wrap);
      var idx = [];
      for (var i = 0; i < d.t.length; i++) if (s.v[i] !== null) idx.push(i);
      charts.push(new Chart(box, {
        xMin: 0, xMax: Math.max(1, d.t.length - 1), canLog: false,
        xLabel: function (x) { var i = Math.round(x); return i >= 0 && i < d.t.length ? d.t[i].toFixed(2) + " s" : ""; },
        yFormat: function (v) { return String(Number(v.toPrecision(3))); },
        yRange: function () {
          var lo = Infinity, hi = -Infinity;
          idx.forEach(function (i) { lo = Math.min(lo, s.v[i]); hi = Math.max(hi, s.v[i]); });
          return [Math.min(lo, 0), hi];
        },
        nearest: function (x) {
          var best = null;
          idx.forEach(function (i) { if (best === null || Math.abs(i - x) < Math.abs(best - x)) best = i; });
          return best;
        },
        hover: function (i) {
          var f = document.createDocumentFragment();
          f.appendChild(el("div", null, "t = " + d.t[i].toFixed(3) + " s" + (d.warmup && d.warmup[i] ? " (warm-up)" : "")));
          f.appendChild(el("div", "t-sub", s.label + ": " + (s.v[i] === null ? "-" : Number(s.v[i].toPrecision(6)) + (s.unit ? " " + s.unit : ""))));
          return f;
        },
        draw: function (ctx, sx, sy) {
          ctx.strokeStyle = "#2f6fbd";
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          var started = false;
          for (var i = 0; i < d.t.length; i++) {
            if (s.v[i] === null) { started = false; continue; }
            if (started) ctx.lineTo(sx(i), sy(s.v[i])); else ctx.moveTo(sx(i), sy(s.v[i]));
            started = true;
          }
          ctx.stroke();
        }
      }));
    });
    if (!d.series.length) holder.appendChild(el("p", "bl-empty", "No device samples were stored for this run."));
    return {
      selftest: function () {
        var res = {charts: document.querySelectorAll(".bl-chart canvas").length};
        if (charts.length) {
          var c = charts[0], rect = c.canvas.getBoundingClientRect(), p = c.plot();
          c.canvas.dispatchEvent(new MouseEvent("mousemove", {clientX: rect.left + p.l + p.w / 2, clientY: rect.top + p.t + 5, bubbles: true}));
          res.tooltip = {visible: !c.tip.hidden, text: c.tip.textContent};
        }
        return res;
      }
    };
  }

  /* ---- index page: filters and search ------------------------------------------------------------------- */

  function indexPage() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-m]"));
    rows.forEach(function (r) { r.blText = r.textContent.toLowerCase(); });
    var sel = {
      b: document.getElementById("f-bench"), p: document.getElementById("f-param"),
      m: document.getElementById("f-metric"), h: document.getElementById("f-machine")
    };
    var search = document.getElementById("f-search"), count = document.getElementById("f-count");
    function apply() {
      var q = search ? search.value.trim().toLowerCase() : "", shown = 0, total = 0;
      if (q || Object.keys(sel).some(function (k) { return sel[k] && sel[k].value; })) showRest(document.getElementById("events"));
      rows.forEach(function (r) {
        var ok = (!sel.b || !sel.b.value || r.getAttribute("data-b") === sel.b.value) &&
          (!sel.p || !sel.p.value || r.getAttribute("data-p").split("\n").indexOf(sel.p.value) >= 0) &&
          (!sel.m || !sel.m.value || r.getAttribute("data-m") === sel.m.value) &&
          (!sel.h || !sel.h.value || r.getAttribute("data-h") === sel.h.value) &&
          (!q || r.blText.indexOf(q) >= 0);
        r.classList.toggle("hidden", !ok);
        if (r.parentNode && r.parentNode.parentNode && r.parentNode.parentNode.id === "series") {
          total++;
          if (ok) shown++;
        }
      });
      if (count) count.textContent = shown + " of " + total + " series";
    }
    Object.keys(sel).forEach(function (k) { if (sel[k]) sel[k].addEventListener("change", apply); });
    if (search) search.addEventListener("input", apply);
    apply();
    return {
      selftest: function () {
        var res = {charts: document.querySelectorAll("svg.spark").length, rows: document.querySelectorAll("#series tbody tr").length,
          eventRows: document.querySelectorAll("#events tbody tr").length,
          eventRowsLaidOut: document.querySelectorAll("#events tbody:not([hidden]) tr").length};
        if (search) {
          search.value = "\u0000no-such-series\u0000";
          apply();
          res.filteredOut = document.querySelectorAll("#series tbody tr:not(.hidden)").length === 0;
          search.value = "";
          apply();
          res.visibleAgain = document.querySelectorAll("#series tbody tr:not(.hidden)").length;
        }
        /* the search showed every change; so does the button on its own */
        res.eventRowsAfterSearch = document.querySelectorAll("#events tbody:not([hidden]) tr").length;
        var rest = document.querySelector("#events tbody.bl-rest"), btn = document.querySelector('button[data-rest="events"]');
        if (rest && btn) {
          rest.hidden = true;
          btn.parentNode.hidden = false;
          btn.click();
          res.eventRowsAfterButton = document.querySelectorAll("#events tbody:not([hidden]) tr").length;
          res.buttonGone = btn.parentNode.hidden;
        }
        return res;
      }
    };
  }

  /* ---- sortable tables ---------------------------------------------------------------------------------- */

  /* The rows of a long table after its first ones come in a hidden <tbody class="bl-rest">, laid out only when
   * asked for: its button, a filter or search on the index, or a sort. */
  function showRest(table) {
    var rest = table ? table.querySelector("tbody.bl-rest") : null;
    if (!rest || !rest.hidden) return;
    rest.hidden = false;
    var btn = document.querySelector('button[data-rest="' + table.id + '"]');
    if (btn) btn.parentNode.hidden = true;
  }

  function sortable(table) {
    var heads = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        showRest(table);
        var body = table.tBodies[0], rows = [];
        Array.prototype.forEach.call(table.tBodies, function (tb) { rows = rows.concat(Array.prototype.slice.call(tb.rows)); });
        function key(r) {
          var c = r.cells[col];
          var v = c ? c.getAttribute("data-v") : null;
          return v !== null ? {n: parseFloat(v), s: ""} : {n: NaN, s: c ? c.textContent.toLowerCase() : ""};
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b), r;
          if (!isNaN(x.n) || !isNaN(y.n)) {
            if (isNaN(x.n)) return 1;
            if (isNaN(y.n)) return -1;
            r = x.n - y.n;
          } else {
            r = x.s < y.s ? -1 : x.s > y.s ? 1 : 0;
          }
          return asc ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  /* ---- start -------------------------------------------------------------------------------------------- */

  function start() {
    var page = null, data = null;
    try {
      data = readData();
      Array.prototype.forEach.call(document.querySelectorAll("table.bl-sortable"), sortable);
      Array.prototype.forEach.call(document.querySelectorAll("button[data-rest]"), function (b) {
        b.addEventListener("click", function () { showRest(document.getElementById(b.getAttribute("data-rest"))); });
      });
      var kind = document.body.getAttribute("data-page");
      if (kind === "series") page = seriesPage(data);
      else if (kind === "run") page = runPage(data);
      else if (kind === "index") page = indexPage();
    } catch (e) {
      recordError(e && e.stack ? e.stack : String(e));
    }
    document.documentElement.setAttribute("data-bl-ready", String(Math.round(performance.now())));
    if (/selftest/.test(location.hash)) {
      var res = {page: document.body.getAttribute("data-page"), readyMs: Math.round(performance.now())};
      try {
        if (page && page.selftest) {
          var r = page.selftest();
          for (var k in r) res[k] = r[k];
        } else {
          res.charts = document.querySelectorAll(".bl-chart canvas, svg.spark").length;
        }
      } catch (e) {
        recordError(e && e.stack ? e.stack : String(e));
      }
      /* Only benchline's own scripts: any other <script> would be an injection. */
      res.foreignScripts = Array.prototype.filter.call(document.scripts, function (s) { return !s.hasAttribute("data-bl"); }).length;
      res.sortableTables = document.querySelectorAll("table.bl-sortable").length;
      res.errors = errors.slice();
      var out = document.getElementById("bl-selftest");
      if (!out) { out = el("pre"); out.id = "bl-selftest"; document.body.appendChild(out); }
      out.textContent = JSON.stringify(res);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
