// A live log of a Worker's signals, newest at the bottom, each as it arrives. Consecutive
// yielded (or progress) signals share one row with a count and the latest value, and the
// progress of a stream is shown on its row, so a stream stays readable.
// Part of the QWorker module.
import QtQuick
import QtQuick.Controls

ListView {
    id: log
    /// The Worker whose signals are logged; setting another one appends a separator.
    property var worker: null
    /// Signals received since the last clear().
    property int eventCount: 0
    /// Rows kept (oldest dropped first).
    property int maxRows: 400
    property real startedAt: 0

    clip: true
    model: ListModel { id: rows }
    ScrollBar.vertical: ScrollBar {}

    function clear() {
        rows.clear();
        eventCount = 0;
    }

    function describe(v) {
        if (v === undefined || v === null)
            return "";
        if (typeof v === "number")
            return Number.isInteger(v) ? String(v) : v.toPrecision(6);
        if (typeof v === "string")
            return "\"" + v + "\"";
        var s = String(v);
        if (s.indexOf("QImage") >= 0)
            return "image";
        if (typeof v === "object" && v.image !== undefined) {
            var parts = [];
            for (var k in v)
                if (k !== "image")
                    parts.push(k + ": " + describe(v[k]));
            return "{" + parts.join(", ") + ", image}";
        }
        return s.length > 60 ? s.substring(0, 57) + "..." : s;
    }

    function add(kind, text) {
        eventCount++;
        var t = Date.now();
        if (kind === "started")
            startedAt = t;
        var ms = startedAt > 0 ? (t - startedAt) : 0;
        var i = rows.count - 1;
        var last = i >= 0 ? rows.get(i) : null;
        var streaming = last && (last.kind === "yielded" || last.kind === "progress");
        if (kind === "progress" && streaming) {
            // Progress that comes with a stream is shown on the stream's row.
            rows.setProperty(i, "note", "progress " + text);
            if (last.kind === "progress") {
                rows.setProperty(i, "repeat", last.repeat + 1);
                rows.setProperty(i, "detail", text);
                rows.setProperty(i, "note", "");
            }
            rows.setProperty(i, "ms", ms);
        } else if (kind === "yielded" && last && last.kind === "yielded") {
            rows.setProperty(i, "repeat", last.repeat + 1);
            rows.setProperty(i, "detail", text);
            rows.setProperty(i, "ms", ms);
        } else {
            rows.append({ kind: kind, detail: text, ms: ms, repeat: 1, note: "" });
            if (rows.count > maxRows)
                rows.remove(0, rows.count - maxRows);
        }
        positionViewAtEnd();
    }

    function title(w) {
        var name = w.name.length ? w.name : (w.task !== undefined && w.task.length ? w.task : "worker");
        return w.kind === "none" ? name : name + " (" + w.kind + ")";
    }

    onWorkerChanged: if (worker !== null) rows.append({ kind: "worker", detail: title(worker), ms: 0, repeat: 1, note: "" })

    Connections {
        target: log.worker
        ignoreUnknownSignals: true
        function onStarted() { log.add("started", "") }
        function onYielded(value) { log.add("yielded", log.describe(value)) }
        function onProgressChanged(done, total) { log.add("progress", total > 0 ? done + " / " + total : String(done)) }
        function onWarned(message) { log.add("warned", message) }
        function onPaused() { log.add("paused", "") }
        function onResumed() { log.add("resumed", "") }
        function onAborted() { log.add("aborted", "") }
        function onReturned(value) { log.add("returned", log.describe(value)) }
        function onErrored(message) { log.add("errored", message) }
        function onFinished() { log.add("finished", "") }
    }

    delegate: Text {
        width: ListView.view ? ListView.view.width : 0
        elide: Text.ElideRight
        font.family: "monospace"
        font.pixelSize: 12
        color: kind === "errored" ? "#ff6b6b" : kind === "warned" ? "#f0b050"
             : kind === "returned" ? "#7ddc8a" : kind === "worker" ? "#8ab4f8" : "#d0d0d0"
        text: kind === "worker" ? "── " + detail
            : ("     " + ms).slice(-6) + " ms  " + kind + (repeat > 1 ? " ×" + repeat : "")
              + (detail.length ? "  " + detail : "") + (note.length ? "  (" + note + ")" : "")
    }
}
