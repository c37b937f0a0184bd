// Pause/Resume and Stop buttons bound to a Worker: Pause only for generator workers,
// both disabled once it finished. Part of the QWorker module.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

RowLayout {
    id: controls
    /// The Worker to control (null disables the buttons).
    property var worker: null
    /// Text of the stop button (napari's example calls it "STOP!").
    property string stopText: qsTr("Stop")
    readonly property bool live: worker !== null && worker.state !== "finished"
    spacing: 6

    Button {
        objectName: "pauseButton"
        text: controls.worker !== null && controls.worker.paused ? qsTr("Resume") : qsTr("Pause")
        enabled: controls.live && controls.worker.kind === "generator" && controls.worker.running
        onClicked: controls.worker.togglePause()
    }
    Button {
        objectName: "stopButton"
        text: controls.stopText
        enabled: controls.live && !controls.worker.abortRequested
        onClicked: controls.worker.quit()
    }
}
