// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nsrun::resolve {

// --under PATH, made one canonical path here at the edge, once, for leaks,
// metrics and watch alike: it must be absolute (sys::UsageError otherwise);
// dot segments and repeated or trailing slashes are resolved as text; where
// the path exists in the caller's namespace, its symbolic links are
// resolved too. A path that exists only in another namespace (docker's
// /var/lib/docker, seen from the host) is not an error. nullopt for "".
[[nodiscard]] std::optional<std::string> resolve_under(std::string_view input);

// The textual part alone: "/a//b/./c/../" is "/a/b". Pure, for tests.
[[nodiscard]] std::string normalise_path(std::string_view absolute);

} // namespace nsrun::resolve
