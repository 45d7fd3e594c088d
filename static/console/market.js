// The live market page: a watchlist over /ws/market_data, the selected symbol's order book
// (/full), an intraday chart (/history 1m bars, continued by the live ticks) and a daily K-line
// (/history 1d with the none/pre/post adjustment). A-share colours: red up, green down.
// Charts: TradingView lightweight-charts, served from /static/vendor/ (no CDN).
(function () {
  "use strict";
  const root = document.getElementById("market");
  if (!root) return;
  const LC = window.LightweightCharts;
  const UP = "#d9302c", DOWN = "#15924a";
  const SHANGHAI = 8 * 3600; // charts show exchange time: UTC seconds shifted to Asia/Shanghai
  const symbols = (root.dataset.symbols || "").split(",").filter(Boolean);
  let selected = root.dataset.selected || symbols[0] || "";
  let depth = 10;
  let adjust = "none";
  const rows = {};
  document.querySelectorAll("tr[data-symbol]").forEach((tr) => { rows[tr.dataset.symbol] = tr; });
  const $ = (sel) => document.querySelector(sel);
  const text = (sel, value) => { const el = $(sel); if (el) el.textContent = value; };

  function shanghaiDate(date) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(date);
  }
  function shanghaiTime(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleTimeString("en-GB", { timeZone: "Asia/Shanghai" });
  }
  function provenance(source) {
    if (!source) return "";
    const kind = source.simulated ? "simulated" : "real";
    return kind + " · source " + source.source + " · as of " + shanghaiTime(source.as_of) + " (Asia/Shanghai)";
  }
  async function api(path) {
    const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!body.success) throw new Error((body.error && body.error.message) || body.message || "HTTP " + response.status);
    return body;
  }
  function fmt(value, digits) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
  }
  // Decimals of a price: an ETF (51x/56x/58x.SH, 159xxx.SZ) quotes on a 0.001 tick, the rest on 0.01.
  function digitsOf(symbol) {
    return /^(5[168][0-9]{4}\.SH|159[0-9]{3}\.SZ)$/.test(symbol || "") ? 3 : 2;
  }
  function fmtVolume(value) {
    if (value === null || value === undefined) return "—";
    return value >= 1e8 ? (value / 1e8).toFixed(2) + " 亿" : value >= 1e4 ? (value / 1e4).toFixed(1) + " 万" : String(value);
  }

  // ---- watchlist rows ----
  function stateOf(tr, quote) {
    const current = tr.dataset.state;
    if (current === "suspended" || current === "stale") return current;
    const up = parseFloat(tr.dataset.limitUp), down = parseFloat(tr.dataset.limitDown);
    if (!isNaN(up) && quote.price >= up) return "limit_up";
    if (!isNaN(down) && quote.price <= down) return "limit_down";
    return "trading";
  }
  function setState(tr, state) {
    tr.dataset.state = state;
    tr.classList.remove("trading", "suspended", "limit_up", "limit_down", "stale", "pending", "fresh");
    tr.classList.add(state);
    tr.querySelector("[data-field=state]").textContent = state.replace("_", " ");
  }
  function applyQuote(quote) {
    const tr = rows[quote.symbol];
    if (!tr) return;
    if (quote.seq !== undefined) tr.dataset.seq = String(quote.seq);
    const sign = quote.change > 0 ? "up" : quote.change < 0 ? "down" : "flat";
    const price = tr.querySelector("[data-field=price]");
    const change = tr.querySelector("[data-field=change_pct]");
    if (quote.price !== undefined) price.textContent = fmt(quote.price, digitsOf(quote.symbol));
    if (quote.change_pct !== undefined) change.textContent = quote.change_pct === null ? "—" : (quote.change_pct > 0 ? "+" : "") + fmt(quote.change_pct, 2) + "%";
    [price, change].forEach((el) => { el.classList.remove("up", "down", "flat"); el.classList.add(sign); });
    if (quote.volume !== undefined) tr.querySelector("[data-field=volume]").textContent = fmtVolume(quote.volume);
    if (quote.name) tr.querySelector("[data-field=name]").textContent = quote.name;
    tr.querySelector("[data-field=time]").textContent = shanghaiTime(quote.simulated_time || quote.timestamp);
    if (quote.price !== undefined) setState(tr, stateOf(tr, quote));
    if (quote.timestamp) {
      text("[data-testid=provenance-as-of]", shanghaiTime(quote.timestamp) + (quote.simulated_time ? " (replayed exchange time " + shanghaiTime(quote.simulated_time) + ")" : ""));
    }
    if (quote.symbol === selected) intradayTick(quote);
  }

  // ---- WebSocket ----
  let socket = null;
  let retry = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(scheme + "://" + location.host + "/ws/market_data");
    text("[data-testid=ws-state]", "connecting");
    socket.onopen = () => {
      retry = 1000;
      text("[data-testid=ws-state]", "open");
      if (symbols.length) socket.send(JSON.stringify({ action: "subscribe", symbols: symbols }));
    };
    socket.onclose = () => {
      text("[data-testid=ws-state]", "closed; reconnecting in " + retry / 1000 + " s");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
    socket.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (err) { return; }
      if (frame.type === "market_data") applyQuote(frame.data);
      else if (frame.type === "snapshot") frame.data.forEach(applyQuote);
      else if (frame.type === "status") onStatus(frame.data);
      else if (frame.type === "reset" && rows[frame.data.symbol]) rows[frame.data.symbol].dataset.seq = "0";
      else if (frame.type === "error") text("[data-testid=ws-state]", "error: " + frame.error.message);
    };
  }
  function onStatus(data) {
    if (data.symbol) {
      const tr = rows[data.symbol];
      if (!tr) return;
      // "fresh" ends a stale mark and "trading" a suspension or limit: the next push re-evaluates the limits.
      setState(tr, data.state === "fresh" ? "trading" : data.state);
      return;
    }
    if (data.market_phase) text("[data-testid=ws-market-phase]", data.market_phase);
    if (data.trading_day) text("[data-testid=ws-trading-day]", data.trading_day);
    if (data.simulated !== undefined) text("[data-testid=provenance-kind]", data.simulated ? "simulated" : "real");
  }

  // ---- charts ----
  const chartOptions = (el) => ({
    width: el.clientWidth, height: el.clientHeight || 320,
    layout: { background: { color: "#ffffff" }, textColor: "#333" },
    grid: { vertLines: { color: "#f0f0f0" }, horzLines: { color: "#f0f0f0" } },
    timeScale: { timeVisible: true, secondsVisible: false },
    autoSize: true,
  });
  const intradayEl = $("#intraday"), klineEl = $("#kline");
  let intradayChart = null, intradayLine = null, klineChart = null, candles = null;
  if (LC && intradayEl && klineEl) {
    intradayChart = LC.createChart(intradayEl, chartOptions(intradayEl));
    intradayLine = intradayChart.addSeries(LC.LineSeries, { color: "#2f5d8a", lineWidth: 2 });
    klineChart = LC.createChart(klineEl, { ...chartOptions(klineEl), timeScale: { timeVisible: false } });
    candles = klineChart.addSeries(LC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderUpColor: UP, borderDownColor: DOWN, wickUpColor: UP, wickDownColor: DOWN,
    });
  } else {
    text("[data-testid=intraday-provenance]", "the charting library did not load (run make install)");
  }

  let intraday = { symbol: null, loading: false, lastTime: 0, points: 0, pending: [] };
  function minuteEnd(iso) {
    const seconds = Math.floor(new Date(iso).getTime() / 1000);
    return Math.floor((seconds + 59) / 60) * 60;
  }
  async function intradayLoad(day, cutoff) {
    intraday = { symbol: selected, loading: true, lastTime: 0, points: 0, pending: [] };
    const symbol = selected;
    try {
      const body = await api("/api/v1/market_data/history?period=1m&symbols=" + encodeURIComponent(symbol) + "&start_date=" + day + "&end_date=" + day);
      if (symbol !== selected) return;
      const limit = cutoff ? new Date(cutoff).getTime() / 1000 + 60 : Infinity;
      const points = (body.data[symbol] || [])
        .map((bar) => ({ time: new Date(bar.time).getTime() / 1000, value: bar.close }))
        .filter((point) => point.time <= limit)
        .map((point) => ({ time: point.time + SHANGHAI, value: point.value }));
      if (intradayLine) intradayLine.setData(points);
      intraday.points = points.length;
      intraday.lastTime = points.length ? points[points.length - 1].time : 0;
      text("[data-testid=intraday-provenance]", points.length + " bars of " + day + " · " + provenance(body.source));
    } catch (err) {
      text("[data-testid=intraday-provenance]", "history unavailable: " + err.message);
    } finally {
      intraday.loading = false;
      const pending = intraday.pending;
      intraday.pending = [];
      pending.forEach(intradayTick);
      intradayEl.dataset.points = String(intraday.points);
    }
  }
  function intradayTick(quote) {
    if (quote.price === undefined || quote.price === null) return;
    const moment = quote.simulated_time || quote.timestamp;
    if (intraday.symbol !== selected) {
      intradayLoad(quote.trading_day || shanghaiDate(new Date(moment)), moment);
    }
    if (intraday.loading) { intraday.pending.push(quote); return; }
    const time = minuteEnd(moment) + SHANGHAI;
    if (time < intraday.lastTime) return;
    if (intradayLine) intradayLine.update({ time: time, value: quote.price });
    if (time > intraday.lastTime) intraday.points += 1;
    intraday.lastTime = time;
    intradayEl.dataset.points = String(intraday.points);
  }

  async function klineLoad() {
    const symbol = selected;
    const asked = adjust;
    if (!symbol) return;
    const end = new Date();
    const start = new Date(end.getTime() - 400 * 86400 * 1000);
    try {
      const body = await api("/api/v1/market_data/history?period=1d&adjust=" + asked + "&symbols=" + encodeURIComponent(symbol) + "&start_date=" + shanghaiDate(start) + "&end_date=" + shanghaiDate(end));
      if (symbol !== selected || asked !== adjust) return;
      const bars = (body.data[symbol] || []).map((bar) => ({ time: bar.date, open: bar.open, high: bar.high, low: bar.low, close: bar.close }));
      if (candles) candles.setData(bars);
      if (klineChart) klineChart.timeScale().fitContent();
      klineEl.dataset.bars = String(bars.length);
      klineEl.dataset.firstClose = bars.length ? String(bars[0].close) : "";
      const adjustment = (body.adjustment && body.adjustment.type) || asked;
      klineEl.dataset.adjust = adjustment;
      const described = body.adjustment && body.adjustment.description ? " (" + body.adjustment.description + ")" : "";
      text("[data-testid=kline-provenance]", bars.length + " daily bars, adjustment " + adjustment + described + " · " + provenance(body.source));
    } catch (err) {
      text("[data-testid=kline-provenance]", "history unavailable: " + err.message);
    }
  }

  // ---- order book ----
  async function bookLoad() {
    const symbol = selected;
    if (!symbol) return;
    try {
      const body = await api("/api/v1/market_data/full?fields=basic,orderbook&depth=" + depth + "&symbols=" + encodeURIComponent(symbol));
      if (symbol !== selected) return;
      const item = body.data[symbol];
      const book = item.orderbook || { bids: [], asks: [] };
      const prev = item.basic && item.basic.price;
      const digits = digitsOf(symbol);
      const rowsHtml = [];
      rowsHtml.push("<tr><th></th><th class=\"num\">price</th><th class=\"num\">volume</th></tr>");
      for (let i = Math.min(depth, book.asks.length) - 1; i >= 0; i--) {
        rowsHtml.push("<tr data-side=\"ask\"><td>卖" + (i + 1) + "</td><td class=\"num ask\">" + fmt(book.asks[i].price, digits) + "</td><td class=\"num\">" + book.asks[i].volume + "</td></tr>");
      }
      rowsHtml.push("<tr><td>last</td><td class=\"num\"><b>" + fmt(prev, digits) + "</b></td><td></td></tr>");
      for (let i = 0; i < Math.min(depth, book.bids.length); i++) {
        rowsHtml.push("<tr data-side=\"bid\"><td>买" + (i + 1) + "</td><td class=\"num bid\">" + fmt(book.bids[i].price, digits) + "</td><td class=\"num\">" + book.bids[i].volume + "</td></tr>");
      }
      if (!book.asks.length && !book.bids.length) rowsHtml.push("<tr><td colspan=\"3\">no book (an index, a suspended stock, or end-of-day data)</td></tr>");
      $("[data-testid=orderbook]").innerHTML = rowsHtml.join("");
      text("[data-testid=book-provenance]", provenance(body.source));
    } catch (err) {
      text("[data-testid=book-provenance]", "order book unavailable: " + err.message);
    }
  }

  // ---- selection and toggles ----
  function chartPrecision(symbol) {
    const digits = digitsOf(symbol);
    const priceFormat = { type: "price", precision: digits, minMove: Math.pow(10, -digits) };
    if (intradayLine) intradayLine.applyOptions({ priceFormat: priceFormat });
    if (candles) candles.applyOptions({ priceFormat: priceFormat });
  }
  function select(symbol) {
    selected = symbol;
    chartPrecision(symbol);
    Object.values(rows).forEach((tr) => tr.classList.toggle("selected", tr.dataset.symbol === symbol));
    ["book-symbol", "intraday-symbol", "kline-symbol"].forEach((id) => text("[data-testid=" + id + "]", symbol));
    const url = new URL(location.href);
    url.searchParams.set("symbol", symbol);
    history.replaceState(null, "", url);
    intraday.symbol = null;
    bookLoad();
    klineLoad();
    // The chart starts from the next push (its trading day and replayed moment); with no push soon
    // (the market is closed) it starts from the latest quote instead.
    setTimeout(() => {
      if (intraday.symbol === symbol || selected !== symbol) return;
      api("/api/v1/market_data/latest?symbols=" + encodeURIComponent(symbol)).then((body) => {
        const quote = body.data[symbol];
        if (quote && intraday.symbol !== symbol && selected === symbol) intradayLoad(shanghaiDate(new Date(quote.timestamp)), quote.timestamp);
      }).catch(() => {});
    }, 4000);
  }
  Object.values(rows).forEach((tr) => tr.addEventListener("click", () => select(tr.dataset.symbol)));
  document.querySelectorAll("[data-adjust]").forEach((button) => {
    if (button.tagName !== "BUTTON") return;
    button.addEventListener("click", () => {
      adjust = button.dataset.adjust;
      document.querySelectorAll("button[data-adjust]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      klineLoad();
    });
  });
  document.querySelectorAll("button[data-depth]").forEach((button) => {
    button.addEventListener("click", () => {
      depth = Number(button.dataset.depth);
      document.querySelectorAll("button[data-depth]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      bookLoad();
    });
  });

  if (selected) {
    chartPrecision(selected);
    bookLoad();
    klineLoad();
    setInterval(bookLoad, 3000);
  }
  connect();
})();
