"""udp_inject.py IFACE SRC_MAC DST_MAC SRC_IP DST_IP DST_PORT RATE SECONDS

Sends UDP datagrams as frames on IFACE (AF_PACKET) at RATE per second for SECONDS, each from the
next source port (1024…65535), then the same from the next of 8 source addresses (SRC_IP and the
7 after it): every datagram a new 5-tuple for 516,096 datagrams, so a receiver's network
namespace sees RATE new UDP flows per second — more than a socket per connection can make on a
small machine (bench/agent_rate.sh). Each address's IP header is built once (its checksum too),
the UDP checksum is 0 (allowed over IPv4). Prints what it sent and the rate."""
import socket
import struct
import sys
import time


def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def mac(text):
    return bytes(int(part, 16) for part in text.split(":"))


def main():
    iface, src_mac, dst_mac, src_ip, dst_ip, dst_port, rate, seconds = sys.argv[1:]
    dst_port, rate, seconds = int(dst_port), int(rate), float(seconds)
    payload = b"x"
    first = struct.unpack("!I", socket.inet_aton(src_ip))[0]
    frames = []
    for n in range(8):
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0x4000, 64, 17,
                                   0, struct.pack("!I", first + n), socket.inet_aton(dst_ip)))
        ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
        frames.append(bytearray(mac(dst_mac) + mac(src_mac) + b"\x08\x00" + bytes(ip) +
                                struct.pack("!HHHH", 0, dst_port, 8 + len(payload), 0) + payload))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    sent, port, address, start = 0, 1024, 0, time.monotonic()
    frame = frames[0]
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        while sent < int(elapsed * rate):
            frame[34:36] = struct.pack("!H", port)
            port += 1
            if port > 65535:
                port, address = 1024, (address + 1) % len(frames)
                frame = frames[address]
            sock.send(frame)
            sent += 1
        time.sleep(0.0005)
    elapsed = time.monotonic() - start
    print(f'{{"sent":{sent},"seconds":{elapsed:.3f},"rate":{sent / elapsed:.0f}}}')


main()
