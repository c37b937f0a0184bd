// The app's QML: its own module (Downstream: Tracker) and qworker's (QWorker: Worker).
import QtQuick
import QWorker
import Downstream

Item {
    id: root
    objectName: "root"
    width: 320; height: 120

    // Filled by the app's own QObject's custom signals (fed by a qworker generator).
    property var statuses: []
    property int points: 0
    // Filled by a Worker declared in QML for a task the app registered from Rust.
    property var squares: []
    property string outcome: ""

    Tracker {
        id: tracker
        objectName: "tracker"
        onStatusChanged: (text) => root.statuses = root.statuses.concat([text])
        onPointAdded: (x, y) => root.points += 1
    }

    Worker {
        id: squares
        objectName: "squares"
        task: "squares"; args: [4]
        onYielded: (v) => root.squares = root.squares.concat([v])
        onReturned: (v) => root.outcome = v
    }

    // The tracker hands its QWorker to QML; QML binds to it like to any Worker.
    property var traceWorker: null
    property bool traceFinished: false
    Connections {
        target: root.traceWorker
        function onFinished() { root.traceFinished = true }
    }

    function begin() {
        squares.start()
        root.traceWorker = tracker.trace(3, 0)
        // A QWorker* goes back into Rust, too.
        tracker.watch(squares)
    }
}
