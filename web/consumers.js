// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The operator page (/consumers): every consumer of this producer, from
// GET /consumers.json (the producer's own get-stats), refreshed every second.
// A test reads window.webrtcliveConsumers (the last report).
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const token = new URLSearchParams(location.search).get('token');
  const url = 'consumers.json' + (token ? `?token=${encodeURIComponent(token)}` : '');

  const duration = (s) => {
    const t = Math.floor(s);
    const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
    return h ? `${h}h ${m}m` : m ? `${m}m ${sec}s` : `${sec}s`;
  };
  const rate = (bps) => (bps == null ? '–' : bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${(bps / 1e3).toFixed(0)} kbit/s`);
  const ms = (v) => (v == null ? '–' : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
  const pct = (v) => (v == null ? '–' : `${(v * 100).toFixed(1)} %`);
  const text = (v) => (v == null || v === '' ? '–' : String(v));

  function cell(row, value, title) {
    const td = document.createElement('td');
    td.textContent = value;
    if (title) td.title = title;
    row.appendChild(td);
  }

  function render(report) {
    window.webrtcliveConsumers = report;
    $('producer').textContent = report.producer || 'this producer';
    const rows = $('rows');
    rows.replaceChildren();
    for (const c of report.consumers) {
      const tr = document.createElement('tr');
      tr.dataset.consumer = c.id;
      cell(tr, c.id.slice(0, 8), c.id);
      cell(tr, text(c.codec));
      cell(tr, duration(c.connected_s));
      cell(tr, text(c.family));
      cell(tr, `${text(c.local_candidate)} / ${text(c.remote_candidate)}`);
      cell(tr, text(c.remote_address), c.protocol || '');
      cell(tr, rate(c.bitrate_bps));
      cell(tr, c.layer == null ? '–' : c.layers > 1 ? `${c.layer} of ${c.layers} (${c.layer_size})` : 'one',
           'its video layer (0 = top); the estimate is what its feedback says its link carries');
      cell(tr, c.estimate_kbps == null ? '–' : `${c.estimate_kbps} kbit/s`, c.estimate_source || '');
      cell(tr, ms(c.rtt_ms));
      cell(tr, pct(c.fraction_lost), c.packets_lost == null ? '' : `${c.packets_lost} packets lost`);
      cell(tr, String(c.keyframe_requests), `PLI ${c.plis}, FIR ${c.firs}`);
      cell(tr, String(c.nacks));
      cell(tr, ms(c.first_packet_ms), 'from its session request to the first RTP packet sent');
      rows.appendChild(tr);
    }
    $('none').hidden = report.consumers.length > 0;
  }

  async function refresh() {
    const st = $('st');
    try {
      const r = await fetch(url, { cache: 'no-store' });
      if (!r.ok) throw new Error(r.status === 401 ? 'token required (?token=…)' : `HTTP ${r.status}`);
      render(await r.json());
      st.dataset.state = 'connected';
      st.textContent = 'live';
    } catch (e) {
      st.dataset.state = 'failed';
      st.textContent = e.message;
    }
  }

  refresh();
  setInterval(refresh, 1000);
})();
