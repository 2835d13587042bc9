// Where the files that ship with netpolgen are: the Online Boutique demo (demo/) and the portal
// (web/dist, built by scripts/build-web.sh). A build-tree binary uses the source tree's copies;
// an installed one those under PREFIX/share/netpolgen.
#pragma once

#include <string>

namespace netpolgen::cli {

// The directory holding online-boutique/: $NETPOLGEN_DEMO_DIR, else next to the executable
// (../share/netpolgen/demo, ../demo), else the install prefix's, else the source tree's.
std::string findDemoDir();

// The portal's directory (holding index.html): the source tree's web/dist when it has been built,
// else ../share/netpolgen/web next to the executable, else the install prefix's; empty when none
// exists (serve then answers the API only).
std::string findWebDir();

}  // namespace netpolgen::cli
