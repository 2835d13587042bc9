#include "store/store.h"

namespace netpolgen::store {

int64_t dayOf(core::Timestamp time) {
    if (time == core::kUndated) {
        return kUndatedDay;
    }
    // Floor division: times before 1970 belong to negative days, not to day 0.
    int64_t day = time / kSecondsPerDay;
    if (time % kSecondsPerDay < 0) {
        --day;
    }
    return day;
}

}  // namespace netpolgen::store
