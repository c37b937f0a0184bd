// Asks before the application goes while workers run: put one in a window. When the window
// is closed (its close button, window.close()) or the application is asked to quit
// (Qt.quit() through a QQmlApplicationEngine, QCoreApplication::quit() from Rust or C++,
// the platform's quit) while WorkerPool.count > 0, it shows the running tasks with their
// progress and offers: quit anyway (quit the workers, wait up to `timeout` ms, then go),
// wait for them (go once none runs), keep running. Nothing is asked when nothing runs.
// Part of the QWorker module.
//
//     ApplicationWindow {
//         id: root
//         CloseGuard { window: root }
//     }
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QWorker

Item {
    id: guard
    /// The window to guard; defaults to the window this item is in.
    property var window: Window.window
    /// How long "quit anyway" waits for the workers to stop (ms).
    property int timeout: 3000
    /// The exit code when the application goes after a quit request.
    property int exitCode: 0
    /// `true` while the dialog is shown.
    readonly property alias asking: dialog.visible
    /// What asked: "close" (the window) or "quit" (the application); "" when nothing.
    property string reason: ""
    /// `true` after "wait for them", until the last worker ended.
    property bool waiting: false
    /// Set while the guard itself lets the window close or the application quit.
    property bool letGo: false

    /// Emitted when the user chose; `choice` is "quit", "wait" or "keep".
    signal chosen(string choice)

    anchors.fill: parent

    /// Shows the question (`why`: "close" or "quit"); does nothing when no worker runs.
    function ask(why) {
        if (WorkerPool.count === 0) {
            return false;
        }
        guard.reason = why;
        dialog.open();
        return true;
    }

    /// "Quit anyway": quit the workers, wait up to `timeout`, then go.
    function quitAnyway() {
        guard.chosen("quit");
        dialog.close();
        WorkerPool.quitAll();
        WorkerPool.awaitAll(guard.timeout);
        guard.proceed();
    }

    /// "Wait for them": go once the last worker ended.
    function waitForThem() {
        guard.chosen("wait");
        guard.waiting = true;
        if (WorkerPool.count === 0) {
            guard.proceed();
        }
    }

    /// "Keep running": nothing goes.
    function keepRunning() {
        guard.chosen("keep");
        guard.waiting = false;
        guard.reason = "";
        dialog.close();
    }

    /// Does what was asked for, without asking again.
    function proceed() {
        const why = guard.reason;
        guard.waiting = false;
        guard.reason = "";
        dialog.close();
        guard.letGo = true;
        WorkerPool.guardQuit = false;
        if (why === "quit" || guard.window === null) {
            WorkerPool.exitApplication(guard.exitCode);
        } else {
            guard.window.close();
        }
    }

    Component.onCompleted: {
        if (guard.window === null || guard.window === undefined) {
            console.warn("CloseGuard: no window to guard; set `window` (or declare the CloseGuard inside a Window). Nothing is guarded.");
            return;
        }
        WorkerPool.guardQuit = true;
    }
    // A guard that is gone asks nobody: the application's quit must not wait for it.
    Component.onDestruction: WorkerPool.guardQuit = false

    Connections {
        target: guard.window
        ignoreUnknownSignals: true
        function onClosing(close) {
            if (!guard.letGo && WorkerPool.count > 0) {
                close.accepted = false;
                guard.ask("close");
            }
        }
    }

    Connections {
        target: WorkerPool
        function onQuitRequested() {
            if (guard.window !== null && !guard.letGo) {
                guard.ask("quit");
            }
        }
        function onCountChanged() {
            if (guard.waiting && WorkerPool.count === 0) {
                guard.proceed();
            }
        }
    }

    Dialog {
        id: dialog
        objectName: "closeGuardDialog"
        parent: guard.window !== null && guard.window !== undefined ? guard.window.contentItem : guard
        anchors.centerIn: parent
        width: Math.min(460, parent ? parent.width - 40 : 460)
        modal: true
        closePolicy: Popup.NoAutoClose
        title: guard.waiting
               ? qsTr("Waiting for %n task(s) to finish…", "", WorkerPool.count)
               : qsTr("%n task(s) still running", "", WorkerPool.count)

        ColumnLayout {
            anchors.fill: parent
            spacing: 8

            Label {
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                text: guard.reason === "quit"
                      ? qsTr("The application was asked to quit while these tasks run:")
                      : qsTr("The window was asked to close while these tasks run:")
            }

            ListView {
                id: list
                objectName: "closeGuardTasks"
                Layout.fillWidth: true
                Layout.preferredHeight: Math.min(contentHeight, 200)
                clip: true
                model: WorkerPool.tasks
                delegate: ColumnLayout {
                    width: ListView.view.width
                    spacing: 2
                    Label {
                        Layout.fillWidth: true
                        elide: Text.ElideRight
                        text: model.name + (model.status !== "" ? " — " + model.status : "")
                    }
                    ProgressBar {
                        Layout.fillWidth: true
                        from: 0
                        to: model.total > 0 ? model.total : 1
                        value: model.total > 0 ? model.progress : 0
                        indeterminate: model.total <= 0
                    }
                }
            }

            RowLayout {
                Layout.alignment: Qt.AlignRight
                spacing: 6
                Button {
                    objectName: "closeGuardKeep"
                    text: qsTr("Keep running")
                    onClicked: guard.keepRunning()
                }
                Button {
                    objectName: "closeGuardWait"
                    text: qsTr("Wait for them")
                    enabled: !guard.waiting
                    onClicked: guard.waitForThem()
                }
                Button {
                    objectName: "closeGuardQuit"
                    text: qsTr("Quit anyway")
                    onClicked: guard.quitAnyway()
                }
            }
        }
    }
}
