// The headers nearly every C++ file of this build includes: cxx-qt-lib's 261 files, qworker's,
// the downstream app's. `.cargo/config.toml` adds `-include qt_prelude.h` to every C++
// compile that cargo runs in this repository, and `scripts/build-pch.sh` precompiles this
// file into `target/pch/qt_prelude.h.gch/` (GCC's precompiled header), which GCC finds before
// this file (`CPATH` comes before `CPLUS_INCLUDE_PATH`). A file then starts from the parsed
// headers instead of parsing them again: about a third of the time per file (docs/testing.md).
//
// Without the precompiled header (a plain `cargo build` before `scripts/test.sh` ran), this
// file is included as text: the same headers, the same objects, only not faster.
//
// It changes nothing a file sees but the order in which these headers come: each is also
// included by the files that use it, and its include guard makes the second time a no-op.
// Only in C++17 and later files that have Qt on their include path: cxx's own `cxx.cc` is
// C++11 (Qt 6 needs C++17), and link-cplusplus compiles a file with no Qt at all.
#if defined(__cplusplus) && __cplusplus >= 201703L && defined(__has_include)
#if __has_include(<QtCore/QObject>)
#include <QtCore/QByteArray>
#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QHash>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QMap>
#include <QtCore/QMetaType>
#include <QtCore/QObject>
#include <QtCore/QSet>
#include <QtCore/QString>
#include <QtCore/QUrl>
#include <QtCore/QUuid>
#include <QtCore/QVariant>
#include <QtCore/QVector>

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#endif
#endif
