// The dashboard's live view: every few seconds, fetch the sampled series and redraw each chart's
// polyline (drawn by the server on load, so the page reads without this script too).
"use strict";
(function () {
    const charts = document.getElementById("charts");
    if (!charts) return;
    function points(values) {
        const top = Math.max(...values, 0);
        const scale = top > 0 ? 38 / top : 0;
        return values.map((value, index) => index + "," + (39 - value * scale).toFixed(1)).join(" ");
    }
    async function refresh() {
        try {
            const response = await fetch(charts.dataset.source, { credentials: "same-origin" });
            if (!response.ok) return;
            const series = await response.json();
            for (const [key, values] of Object.entries(series)) {
                const line = charts.querySelector(`polyline[data-series="${key}"]`);
                if (line) line.setAttribute("points", points(values));
                const label = charts.querySelector(`[data-value="${key}"]`);
                if (label && values.length) {
                    const last = values[values.length - 1];
                    label.textContent = last < 10 ? last.toFixed(1) : last.toFixed(0);
                }
            }
        } catch (ignored) { /* the next round tries again */ }
    }
    setInterval(refresh, 3000);
})();
