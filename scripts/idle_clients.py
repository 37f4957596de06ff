"""Opens N TLS connections to HOST:PORT, makes one HTTP/1.1 request on each and keeps them
all open and idle (as browsers keep theirs after a page), then prints "ready N" and waits for
standard input to close. The load benchmark (scripts/load.sh) reads the server's resident
memory meanwhile. Python's ssl module is OpenSSL: a client neither server wrote."""

import asyncio
import ssl
import sys


async def one(host, port, context, held):
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    writer.write(b"GET /text HTTP/1.1\r\nHost: localhost\r\n\r\n")
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    held.append(writer)


async def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    held = []
    # A few hundred handshakes at a time: the servers' accept queues are not the subject.
    batch = 200
    for start in range(0, count, batch):
        await asyncio.gather(
            *(one(host, port, context, held) for _ in range(min(batch, count - start)))
        )
    print(f"ready {len(held)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for writer in held:
        writer.close()


asyncio.run(main())
