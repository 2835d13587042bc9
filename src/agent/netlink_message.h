// Walking a buffer of netlink messages. The kernel's NLMSG_OK compares the message's unsigned
// length with the signed bytes left, which clang's -Wsign-compare rejects in every caller.
#pragma once

#include <linux/netlink.h>

namespace netpolgen::agent {

// A whole message header and body within the `left` bytes (as NLMSG_OK).
inline bool netlinkMessageFits(const nlmsghdr* message, int left) {
    return left >= static_cast<int>(sizeof(nlmsghdr)) && message->nlmsg_len >= sizeof(nlmsghdr) &&
           static_cast<long>(message->nlmsg_len) <= static_cast<long>(left);
}

}  // namespace netpolgen::agent
