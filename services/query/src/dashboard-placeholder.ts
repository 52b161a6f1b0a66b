/** A minimal page until the Vue dashboard is built: recent logs, refreshed, with the search box. */
export const PLACEHOLDER_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Instant Dev Logs</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#0f1115;color:#e6e6e6}
header{display:flex;gap:8px;align-items:center;padding:10px 16px;background:#171a21;position:sticky;top:0}
h1{font-size:16px;margin:0 12px 0 0}input{flex:1;padding:6px 8px;background:#0f1115;color:inherit;border:1px solid #333;border-radius:4px}
#err{color:#ff6b6b;padding:4px 16px}table{width:100%;border-collapse:collapse;font-family:ui-monospace,monospace;font-size:12px}
td{padding:3px 8px;border-bottom:1px solid #1f232b;vertical-align:top;white-space:nowrap}td.msg{white-space:pre-wrap;width:100%}
.trace,.debug{color:#8b949e}.info{color:#58a6ff}.warn{color:#d29922}.error{color:#f85149}.fatal{color:#ff00aa}
</style></head><body>
<header><h1>Instant Dev Logs</h1><input id="q" placeholder='Search: timeout service:checkout -level:debug "card declined"' autofocus>
<span id="count"></span></header><div id="err"></div><table><tbody id="rows"></tbody></table>
<script>
const q = document.getElementById('q'), rows = document.getElementById('rows'), err = document.getElementById('err'), count = document.getElementById('count');
q.value = new URLSearchParams(location.search).get('q') || '';
const esc = (s) => s.replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
async function refresh() {
  const params = new URLSearchParams({ from: 'now-1h', limit: '200', q: q.value });
  const res = await fetch('/api/v1/logs?' + params);
  const body = await res.json();
  if (!res.ok) { err.textContent = body.error.message; return; }
  err.textContent = '';
  count.textContent = body.records.length + ' newest';
  rows.innerHTML = body.records.map((r) => '<tr><td>' + r.timestamp.slice(11, 23) + '</td><td class="' + r.level + '">' + r.level +
    '</td><td>' + esc(r.service) + '</td><td class="msg">' + esc(r.body) + '</td></tr>').join('');
}
q.addEventListener('keydown', (e) => { if (e.key === 'Enter') { history.replaceState(null, '', '?q=' + encodeURIComponent(q.value)); refresh(); } });
refresh(); setInterval(refresh, 2000);
</script></body></html>`;
