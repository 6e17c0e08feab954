import type { DashboardLocale } from './texts.js';
import { DASHBOARD_TEXTS } from './texts.js';

/**
 * The dashboard: one HTML page with its style and script inline (no build step, no external
 * resource). The script reads the JSON API, follows `/api/stream` (Server-Sent Events) for the
 * live feed and alerts, and refreshes the device table every 5 seconds.
 */
export function dashboardPage(locale: DashboardLocale, token: string | undefined): string {
  const texts = DASHBOARD_TEXTS[locale];
  const other: DashboardLocale = locale === 'en' ? 'zh-Hant' : 'en';
  const boot = JSON.stringify({ texts, token: token ?? null }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${texts.title}</title>
<style>
  body { font-family: system-ui, "Noto Sans CJK TC", "Microsoft JhengHei", sans-serif; margin: 1.5rem; color: #1d232a; background: #f6f7f9; }
  header { display: flex; justify-content: space-between; align-items: baseline; }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; }
  h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; font-size: 0.9rem; }
  th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #e2e5e9; }
  th { background: #eef1f4; font-weight: 600; }
  .online { color: #177245; font-weight: 600; }
  .offline { color: #b42318; font-weight: 600; }
  .critical { color: #b42318; }
  .warning { color: #9a6700; }
  .bad { color: #b42318; font-weight: 600; }
  #status { font-size: 0.8rem; color: #5b6570; }
  form { margin: 0.5rem 0; display: flex; gap: 0.5rem; align-items: center; }
  .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  @media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header><h1>${texts.title}</h1><span><span id="status"></span> · <a id="lang" href="?lang=${other}">${other === 'en' ? 'English' : '繁體中文'}</a></span></header>
<h2>${texts.devices}</h2>
<table id="devices"><thead><tr><th>${texts.device}</th><th>${texts.site}</th><th>${texts.state}</th><th>${texts.lastSeen}</th><th>${texts.firmware}</th><th>${texts.models}</th><th>${texts.outbox}</th><th>${texts.clock}</th><th>${texts.chain}</th></tr></thead><tbody></tbody></table>
<div class="grid">
<section><h2>${texts.feed}</h2>
<table id="feed"><thead><tr><th>${texts.time}</th><th>${texts.device}</th><th>${texts.subject}</th><th>${texts.decision}</th><th>${texts.direction}</th></tr></thead><tbody></tbody></table></section>
<section><h2>${texts.alerts}</h2>
<table id="alerts"><thead><tr><th>${texts.raised}</th><th>${texts.device}</th><th>${texts.kind}</th><th>${texts.message}</th></tr></thead><tbody></tbody></table></section>
</div>
<h2>${texts.payroll}</h2>
<form id="payroll-form"><label>${texts.from} <input type="date" name="from" id="from"></label><label>${texts.to} <input type="date" name="to" id="to"></label>
<button type="submit">${texts.show}</button><a id="export" href="#">${texts.exportCsv}</a></form>
<table id="payroll"><thead><tr><th>${texts.date}</th><th>${texts.subject}</th><th>${texts.firstIn}</th><th>${texts.lastOut}</th><th>${texts.worked}</th><th>${texts.clockIns}</th></tr></thead><tbody></tbody></table>
<script>
(() => {
  const { texts, token } = ${boot};
  const withToken = (url) => token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url;
  const fill = (template, params) => template.replace(/\\{(\\w+)\\}/g, (_, name) => String(params[name]));
  const text = (value) => document.createTextNode(value == null ? '' : String(value));
  const cell = (row, value, className) => { const td = row.insertCell(); td.append(text(value)); if (className) td.className = className; return td; };
  const time = (ms) => ms == null ? texts.never : new Date(ms).toLocaleString('${locale === 'en' ? 'en-GB' : 'zh-Hant-MO'}', { timeZone: 'Asia/Macau', hour12: false });
  const wall = (rfc3339) => rfc3339 ? rfc3339.slice(0, 19).replace('T', ' ') : '';
  const word = (key) => texts[key] ?? key;
  const empty = (body, columns, message) => { const row = body.insertRow(); const td = row.insertCell(); td.colSpan = columns; td.append(text(message)); };
  const getJson = async (url) => { const response = await fetch(withToken(url)); if (!response.ok) throw new Error(url + ': ' + response.status); return response.json(); };

  async function loadDevices() {
    const devices = await getJson('/api/devices');
    const body = document.querySelector('#devices tbody');
    body.replaceChildren();
    for (const d of devices) {
      const row = body.insertRow();
      row.dataset.device = d.device_id;
      cell(row, d.name ? d.device_id + ' (' + d.name + ')' : d.device_id);
      cell(row, d.site_id);
      cell(row, word(d.state), d.state);
      cell(row, time(d.last_seen));
      cell(row, d.firmware);
      cell(row, d.models ? Object.entries(JSON.parse(d.models)).map(([k, v]) => k + ' ' + v).join(', ') : '');
      cell(row, d.outbox_depth);
      cell(row, d.clock_state ? word(d.clock_state) : '', d.clock_state === 'unsynced' ? 'bad' : '');
      const chain = d.broken_seq != null ? fill(texts.chainBroken, { seq: d.broken_seq })
        : d.gap_since != null ? fill(texts.chainGap, { seq: (d.verified_seq ?? 0) + 1 })
        : d.verified_seq ? fill(texts.chainOk, { seq: d.verified_seq }) : texts.chainNone;
      cell(row, chain, d.broken_seq != null ? 'bad' : '');
    }
  }

  function addEvent(e, prepend) {
    const body = document.querySelector('#feed tbody');
    if (body.dataset.empty) { body.replaceChildren(); delete body.dataset.empty; }
    const row = prepend ? body.insertRow(0) : body.insertRow();
    row.dataset.event = e.event_id;
    cell(row, wall(e.wall_time));
    cell(row, e.device_id);
    cell(row, e.subject ?? '—');
    cell(row, word(e.decision), e.decision === 'granted' ? 'online' : e.decision === 'fallback' ? '' : 'offline');
    cell(row, word(e.direction));
    while (body.rows.length > 50) body.deleteRow(body.rows.length - 1);
  }

  async function loadFeed() {
    const events = await getJson('/api/events?limit=50');
    const body = document.querySelector('#feed tbody');
    body.replaceChildren();
    if (events.length === 0) { empty(body, 5, texts.noEvents); body.dataset.empty = '1'; }
    for (const e of events) addEvent(e, false);
  }

  async function loadAlerts() {
    const alerts = await getJson('/api/alerts?open=1');
    const body = document.querySelector('#alerts tbody');
    body.replaceChildren();
    if (alerts.length === 0) empty(body, 4, texts.noAlerts);
    for (const a of alerts) {
      const row = body.insertRow();
      row.dataset.kind = a.kind;
      cell(row, time(a.raised_at));
      cell(row, a.device_id);
      cell(row, a.kind, a.severity);
      cell(row, a.message);
    }
  }

  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  document.getElementById('from').value = today;
  document.getElementById('to').value = today;
  async function loadPayroll() {
    const query = 'from=' + document.getElementById('from').value + '&to=' + document.getElementById('to').value;
    document.getElementById('export').href = withToken('/export/attendance.csv?' + query);
    const rows = await getJson('/api/attendance?' + query);
    const body = document.querySelector('#payroll tbody');
    body.replaceChildren();
    if (rows.length === 0) empty(body, 6, texts.noAttendance);
    for (const r of rows) {
      const row = body.insertRow();
      row.dataset.subject = r.subject;
      cell(row, r.day);
      cell(row, r.subject);
      cell(row, wall(r.firstIn));
      cell(row, wall(r.lastOut));
      cell(row, r.workedMinutes == null ? '' : Math.floor(r.workedMinutes / 60) + ':' + String(r.workedMinutes % 60).padStart(2, '0'));
      cell(row, r.clockIns);
    }
  }
  document.getElementById('payroll-form').addEventListener('submit', (event) => { event.preventDefault(); loadPayroll(); });

  const status = document.getElementById('status');
  function follow() {
    const stream = new EventSource(withToken('/api/stream'));
    stream.onopen = () => { status.textContent = texts.live; };
    stream.onerror = () => { status.textContent = texts.reconnecting; };
    stream.addEventListener('attendance', (message) => addEvent(JSON.parse(message.data), true));
    stream.addEventListener('alert', () => { loadAlerts(); loadDevices(); });
    stream.addEventListener('device', () => loadDevices());
  }

  Promise.all([loadDevices(), loadFeed(), loadAlerts(), loadPayroll()]).then(() => { document.body.dataset.ready = '1'; }, (error) => { status.textContent = String(error); });
  follow();
  setInterval(() => { loadDevices().catch(() => undefined); }, 5000);
})();
</script>
</body>
</html>
`;
}
