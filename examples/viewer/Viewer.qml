// The qworker example viewer: napari's threading scenarios, each a Rust task registered by
// name (see scenarios.rs) and run by a QML `Worker`, shown with the QWorker module's
// FrameView, WorkerProgress, WorkerControls and EventLog. Everything here talks to the
// Worker through its QML API. The Tasks panel lists every live worker of the application
// (the `WorkerPool` singleton's model: nested workers too), each with its own STOP; the
// CloseGuard asks before the window closes while workers run.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QWorker

ApplicationWindow {
    id: root
    objectName: "viewer"
    width: 1200
    height: 760
    visible: true
    title: "qworker viewer: napari's threading scenarios, in Rust"
    color: "#1e1f22"

    /// The scenarios, in order: [{name, description, policy}], set from Rust.
    required property var scenarios
    /// Arguments per scenario name (e.g. smaller sizes in tests), set from Rust.
    property var scenarioArgs: ({})

    property var current: null
    property string scenario: ""
    readonly property string currentState: current ? current.state : "none"
    property int heartbeat: 0
    property string resultText: ""
    property string errorText: ""
    property real total: 1
    property int liveCount: 0
    property int liveFinished: 0
    property int liveWorkers: 0
    property int longLive: 0
    property real startedAt: 0
    property real elapsedMs: 0
    property int beatsAtStart: 0
    property int beatsWhileWorking: 0
    property string history: ""
    readonly property int events: log.eventCount
    /// Live workers of the whole application (the Tasks panel's header).
    readonly property int liveTasks: WorkerPool.count
    // Frames produced: the stream's progress count, which the body reports right after each
    // yield (so, while it is parked in that yield, the frame just received is counted too).
    readonly property real produced: current ? Math.max(current.progress, ui.stream ? view.framesReceived : 0) : 0

    // What each scenario shows: images (FrameView bound to the worker) or text.
    readonly property var uiOf: ({
        "average_stack": { images: true, stream: false, label: "mean of a random stack (contrast limits around 0.5)" },
        "running_mean": { images: true, stream: true, label: "running mean, contrast limits (0.45, 0.55)" },
        "endless": { images: true, stream: true, label: "random x cos(i*0.2), contrast limits (-0.8, 0.8)" },
        "multiplier": { images: false, stream: false, label: "two-way multiplier" },
        "error": { images: false, stream: false, label: "custom error handler" },
        "many_workers": { images: true, stream: false, label: "one bar per worker (blue: running, green: finished)" },
        "long_tasks": { images: false, stream: false, label: "long-running tasks" }
    })
    readonly property var ui: uiOf[scenario] !== undefined ? uiOf[scenario] : ({ images: false, stream: false, label: "" })

    palette {
        window: "#1e1f22"
        windowText: "#e6e6e6"
        base: "#2b2d30"
        text: "#e6e6e6"
        button: "#3c3f41"
        buttonText: "#e6e6e6"
        highlight: "#3574f0"
        highlightedText: "#ffffff"
        mid: "#4e5157"
        light: "#5a5d63"
        dark: "#1a1b1d"
        placeholderText: "#8c8c8c"
    }

    function scenarioInfo(name) {
        for (var i = 0; i < scenarios.length; i++)
            if (scenarios[i].name === name)
                return scenarios[i];
        return null;
    }

    // One Worker per run, made here and destroyed when the next run starts (destroying a
    // running worker asks it to quit).
    Component {
        id: workerFactory
        Worker {}
    }

    /// Starts scenario `name` (destroying the previous worker). Returns false if unknown.
    function run(name, args) {
        var info = scenarioInfo(name);
        if (info === null)
            return false;
        if (current !== null) {
            var old = current;
            current = null;
            old.destroy();
        }
        view.clear();
        view.resetStats();
        log.clear();
        resultText = "";
        errorText = "";
        total = 1;
        liveCount = 0;
        liveFinished = 0;
        liveWorkers = 0;
        longLive = 0;
        elapsedMs = 0;
        history = "1";
        beatsAtStart = heartbeat;
        beatsWhileWorking = 0;
        scenario = name;
        var a = (args !== undefined && args !== null) ? args
              : (scenarioArgs[name] !== undefined ? scenarioArgs[name] : null);
        var w = workerFactory.createObject(root, { task: name, args: [a], policy: info.policy });
        if (w === null)
            return false;
        current = w;
        startedAt = Date.now();
        return w.start();
    }

    /// The names of the Tasks panel's rows, in order, joined by commas (for scripts and tests).
    function taskNames() {
        var names = [];
        for (var i = 0; i < tasksList.count; i++) {
            var item = tasksList.itemAtIndex(i);
            names.push(item !== null ? item.taskName : "?");
        }
        return names.join(",");
    }

    /// Multiplier: sends the typed factor in and resumes the worker (napari's example).
    function sendValue(text) {
        var n = Number(text);
        if (current === null || text.length === 0 || isNaN(n))
            return false;
        current.send(n);
        current.resume();
        history += " × " + n;
        factorField.text = "";
        return true;
    }

    Connections {
        target: root.current
        ignoreUnknownSignals: true
        function onYielded(value) {
            if (root.scenario === "multiplier") {
                root.total = value;
                root.current.pause();     // wait for the user's next factor
            } else if (root.scenario === "many_workers") {
                root.liveCount = value.live;
                root.liveFinished = value.finished;
                root.liveWorkers = value.workers;
            } else if (root.scenario === "long_tasks") {
                root.longLive = value;
            }
        }
        function onReturned(value) {
            if (typeof value === "string")
                root.resultText = value;
        }
        function onErrored(message) { root.errorText = message }
        function onFinished() {
            root.elapsedMs = Date.now() - root.startedAt;
            root.beatsWhileWorking = root.heartbeat - root.beatsAtStart;
        }
    }

    // The GUI's pulse: a timer on the GUI thread. It stops counting if the GUI freezes.
    Timer {
        interval: 16
        running: true
        repeat: true
        onTriggered: root.heartbeat++
    }

    header: Rectangle {
        height: 48
        color: "#2b2d30"
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 14
            anchors.rightMargin: 14
            spacing: 12
            Label {
                text: "qworker viewer"
                font.pixelSize: 18
                font.bold: true
            }
            Label {
                text: "napari's @thread_worker scenarios, as Rust workers delivering Qt signals"
                color: "#9aa0a6"
                Layout.fillWidth: true
                elide: Text.ElideRight
            }
            // Spins on the GUI thread (NumberAnimation, not an Animator): it keeps moving only
            // while the GUI is responsive.
            Rectangle {
                id: spinner
                objectName: "spinner"
                width: 22
                height: 22
                radius: 4
                color: "#3574f0"
                NumberAnimation on rotation {
                    from: 0
                    to: 360
                    duration: 1200
                    loops: Animation.Infinite
                    running: true
                }
            }
            Label {
                objectName: "heartbeatLabel"
                text: "GUI ticks " + root.heartbeat
                font.family: "monospace"
                color: "#9aa0a6"
            }
        }
    }

    RowLayout {
        anchors.fill: parent
        anchors.margins: 10
        spacing: 10

        // ---- scenarios ----
        Pane {
            Layout.preferredWidth: 250
            Layout.fillHeight: true
            padding: 10
            background: Rectangle { color: "#2b2d30"; radius: 6 }
            ColumnLayout {
                anchors.fill: parent
                spacing: 8
                Label {
                    text: "Scenarios"
                    font.bold: true
                    font.pixelSize: 15
                }
                Repeater {
                    model: root.scenarios
                    delegate: Button {
                        required property var modelData
                        objectName: "run_" + modelData.name
                        Layout.fillWidth: true
                        text: modelData.name.replace("_", " ")
                        highlighted: root.scenario === modelData.name
                        onClicked: root.run(modelData.name)
                    }
                }
                Label {
                    Layout.fillWidth: true
                    Layout.topMargin: 8
                    wrapMode: Text.WordWrap
                    color: "#9aa0a6"
                    text: root.scenario.length ? root.scenarioInfo(root.scenario).description
                                              : "Pick a scenario. Each one runs in a worker; the GUI stays responsive."
                }
                Item { Layout.fillHeight: true }
                Label {
                    objectName: "policyLabel"
                    Layout.fillWidth: true
                    wrapMode: Text.WordWrap
                    color: "#9aa0a6"
                    text: root.current ? "task \"" + root.current.task + "\", policy " + root.current.policy : ""
                }
            }
        }

        // ---- image, stats, controls ----
        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 8

            // Stats strip: what the worker did and what the screen showed.
            Rectangle {
                Layout.fillWidth: true
                Layout.preferredHeight: stats.implicitHeight + 14
                color: "#2b2d30"
                radius: 6
                Label {
                    id: stats
                    objectName: "statsLabel"
                    anchors.verticalCenter: parent.verticalCenter
                    anchors.left: parent.left
                    anchors.leftMargin: 10
                    font.family: "monospace"
                    font.pixelSize: 13
                    text: {
                        if (!root.scenario.length)
                            return "no scenario running";
                        var s = root.scenario + "  ·  " + root.currentState;
                        if (root.elapsedMs > 0)
                            s += " after " + (root.elapsedMs / 1000).toFixed(2) + " s";
                        var beats = root.elapsedMs > 0 ? root.beatsWhileWorking : root.heartbeat - root.beatsAtStart;
                        s += "  ·  GUI ticks meanwhile " + beats;
                        if (root.ui.stream)
                            s += "\nframes produced " + root.produced + "  ·  received " + view.framesReceived
                               + "  ·  shown " + view.framesShown;
                        else if (root.ui.images)
                            s += "\nimages shown " + view.framesShown;
                        if (root.scenario === "many_workers")
                            s += "\nlive workers in the pool " + root.liveCount + "  ·  finished "
                               + root.liveFinished + " / " + root.liveWorkers;
                        return s;
                    }
                }
            }

            Rectangle {
                Layout.fillWidth: true
                Layout.fillHeight: true
                color: "#111214"
                radius: 6
                clip: true

                FrameView {
                    id: view
                    objectName: "frameView"
                    anchors.fill: parent
                    anchors.margins: 6
                    fillColor: "#111214"
                    smooth: false
                    worker: root.ui.images ? root.current : null
                }

                // Text scenarios: the multiplier's total, the error, the result.
                Column {
                    anchors.centerIn: parent
                    spacing: 12
                    visible: !root.ui.images
                    Label {
                        objectName: "bigLabel"
                        anchors.horizontalCenter: parent.horizontalCenter
                        font.pixelSize: 56
                        font.bold: true
                        color: root.errorText.length ? "#ff6b6b" : "#e6e6e6"
                        text: root.scenario === "multiplier"
                              ? (root.resultText.length ? root.resultText : "total = " + root.total)
                              : root.scenario === "error"
                                ? (root.errorText.length ? "errored" : (root.current ? "working..." : ""))
                              : root.scenario === "long_tasks"
                                ? (root.resultText.length ? "all stopped"
                                   : root.currentState === "finished" ? "stopped"
                                   : root.longLive + " of 3 running")
                                : ""
                    }
                    Label {
                        objectName: "resultLabel"
                        anchors.horizontalCenter: parent.horizontalCenter
                        width: Math.min(implicitWidth, 560)
                        wrapMode: Text.WordWrap
                        horizontalAlignment: Text.AlignHCenter
                        color: root.errorText.length ? "#ff9e9e" : "#9aa0a6"
                        font.pixelSize: 16
                        text: root.errorText.length ? root.errorText + "\n(handled; the application keeps running)"
                              : root.scenario === "multiplier"
                                ? (root.resultText.length ? root.history + " = 0: the worker returned"
                                   : root.history + " = " + root.total + "\ntype a factor below and press Enter; 0 ends the game")
                              : root.scenario === "long_tasks" && !root.resultText.length
                                ? (root.currentState === "finished"
                                   ? "the supervisor was stopped, and its tasks with it"
                                   : "scan, download and index run until stopped.\nStop one from its row in the Tasks panel;\nclose the window while they run: the CloseGuard asks.")
                              : root.resultText
                    }
                }

                Label {
                    anchors.right: parent.right
                    anchors.bottom: parent.bottom
                    anchors.margins: 10
                    visible: root.ui.images
                    color: "#9aa0a6"
                    text: root.ui.label + (view.hasFrame ? "  ·  " + view.frameWidth + "x" + view.frameHeight : "")
                }
            }

            // Multiplier input (napari's QLineEdit).
            RowLayout {
                visible: root.scenario === "multiplier"
                Layout.fillWidth: true
                spacing: 8
                Label { text: "factor:" }
                TextField {
                    id: factorField
                    objectName: "factorField"
                    Layout.preferredWidth: 160
                    placeholderText: "a number, Enter"
                    enabled: root.current !== null && root.currentState === "paused"
                    validator: DoubleValidator {}
                    onAccepted: root.sendValue(text)
                }
                Button {
                    objectName: "sendButton"
                    text: "Send"
                    enabled: factorField.enabled && factorField.text.length > 0
                    onClicked: root.sendValue(factorField.text)
                }
                Item { Layout.fillWidth: true }
            }

            RowLayout {
                Layout.fillWidth: true
                spacing: 10
                WorkerProgress {
                    objectName: "progressBar"
                    worker: root.current
                    Layout.fillWidth: true
                }
                WorkerControls {
                    objectName: "controls"
                    worker: root.current
                    stopText: "STOP!"
                }
            }
        }

        // ---- tasks (every live worker) and event log ----
        ColumnLayout {
            Layout.preferredWidth: 380
            Layout.maximumWidth: 380
            Layout.fillHeight: true
            spacing: 10

            Pane {
                objectName: "tasksPanel"
                Layout.fillWidth: true
                Layout.preferredHeight: 340
                padding: 10
                background: Rectangle { color: "#2b2d30"; radius: 6 }
                ColumnLayout {
                    anchors.fill: parent
                    spacing: 6
                    RowLayout {
                        Layout.fillWidth: true
                        spacing: 8
                        Label {
                            objectName: "tasksHeader"
                            Layout.fillWidth: true
                            elide: Text.ElideRight
                            text: "Tasks  (" + WorkerPool.count + " running)"
                            font.bold: true
                            font.pixelSize: 15
                        }
                        Button {
                            objectName: "stopAllButton"
                            text: "Stop all"
                            enabled: WorkerPool.count > 0
                            onClicked: WorkerPool.quitAll()
                        }
                    }
                    ListView {
                        id: tasksList
                        objectName: "tasksList"
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        clip: true
                        spacing: 4
                        model: WorkerPool.tasks
                        boundsBehavior: Flickable.StopAtBounds
                        ScrollBar.vertical: ScrollBar { policy: ScrollBar.AsNeeded }
                        delegate: Rectangle {
                            id: taskRow
                            objectName: "taskRow_" + model.name
                            // The roles, for scripts and tests (`model.state`, not `state`:
                            // an Item's `state` is its own).
                            readonly property string taskName: model.name
                            readonly property string taskState: model.state
                            readonly property string taskStatus: model.status
                            width: ListView.view.width - 10
                            height: rowColumn.implicitHeight + 10
                            radius: 4
                            color: "#34373b"
                            ColumnLayout {
                                id: rowColumn
                                anchors.fill: parent
                                anchors.margins: 5
                                spacing: 2
                                RowLayout {
                                    Layout.fillWidth: true
                                    spacing: 8
                                    Label {
                                        Layout.fillWidth: true
                                        elide: Text.ElideRight
                                        text: model.name
                                        font.bold: true
                                    }
                                    Label {
                                        objectName: "taskState_" + model.name
                                        text: model.state
                                        color: model.state === "running" ? "#7fd88f"
                                             : model.state === "paused" ? "#f0c75e" : "#9aa0a6"
                                    }
                                    Label {
                                        objectName: "taskElapsed_" + model.name
                                        Layout.preferredWidth: 44
                                        horizontalAlignment: Text.AlignRight
                                        text: Math.floor(model.elapsed / 1000) + " s"
                                        font.family: "monospace"
                                        color: "#9aa0a6"
                                    }
                                    Button {
                                        objectName: "taskStop_" + model.name
                                        text: "STOP"
                                        enabled: model.state !== "finished"
                                        onClicked: WorkerPool.quit(index)
                                    }
                                }
                                Label {
                                    objectName: "taskStatus_" + model.name
                                    Layout.fillWidth: true
                                    visible: text.length > 0
                                    elide: Text.ElideRight
                                    text: model.status
                                    color: "#9aa0a6"
                                    font.pixelSize: 12
                                }
                                ProgressBar {
                                    objectName: "taskProgress_" + model.name
                                    Layout.fillWidth: true
                                    Layout.preferredHeight: 10
                                    from: 0
                                    to: model.total > 0 ? model.total : 1
                                    value: model.total > 0 ? model.progress : 0
                                    indeterminate: model.total <= 0
                                }
                            }
                        }
                    }
                    Label {
                        visible: tasksList.count === 0
                        Layout.fillWidth: true
                        horizontalAlignment: Text.AlignHCenter
                        color: "#9aa0a6"
                        text: "no worker running"
                    }
                }
            }

            // ---- event log ----
            Pane {
                Layout.fillWidth: true
                Layout.fillHeight: true
                padding: 10
                background: Rectangle { color: "#2b2d30"; radius: 6 }
                ColumnLayout {
                    anchors.fill: parent
                    spacing: 6
                    Label {
                        text: "Event log  (" + log.eventCount + " signals)"
                        font.bold: true
                        font.pixelSize: 15
                    }
                    EventLog {
                        id: log
                        objectName: "eventLog"
                        worker: root.current
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                    }
                }
            }
        }
    }

    // Asks before the window closes while workers run (quit them, wait, or keep running).
    CloseGuard {
        id: guard
        objectName: "closeGuard"
        window: root
    }
}
