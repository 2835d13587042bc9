// netpolgen: the process entry point. Everything else lives in src/cli/app.h.
#include <exception>
#include <iostream>

#include "cli/app.h"

int main(int argc, char** argv) {
    try {
        return netpolgen::cli::runCli(argc, argv, std::cout, std::cerr);
    } catch (const std::bad_alloc&) {
        std::cerr << "netpolgen: out of memory\n";
    } catch (const std::exception& e) {
        std::cerr << "netpolgen: internal error: " << e.what() << "\n";
    }
    return netpolgen::cli::kExitFailure;
}
