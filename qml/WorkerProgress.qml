// A progress bar bound to a Worker: determinate when the worker reports a total,
// indeterminate while it runs without one. Part of the QWorker module.
import QtQuick
import QtQuick.Controls

ProgressBar {
    id: bar
    /// The Worker to follow (null shows an empty bar).
    property var worker: null
    readonly property bool known: worker !== null && worker.progressTotal > 0
    from: 0
    to: known ? worker.progressTotal : 1
    value: known ? Math.min(worker.progress, worker.progressTotal) : 0
    indeterminate: worker !== null && worker.running && !known
}
