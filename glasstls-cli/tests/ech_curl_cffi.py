# A BoringSSL ECH client: curl_cffi (libcurl built on BoringSSL) fetches https://localhost:PORT/text
# with ECH under the given ECHConfigList and prints the body. Used by glasstls-cli/tests/ech.rs.
import io, sys
from curl_cffi import Curl, CurlOpt
port, ca, config = sys.argv[1], sys.argv[2], sys.argv[3]
c = Curl()
c.setopt(CurlOpt.URL, f"https://localhost:{port}/text".encode())
c.setopt(CurlOpt.RESOLVE, [f"localhost:{port}:127.0.0.1".encode()])
c.setopt(CurlOpt.CAINFO, ca.encode())
c.setopt(CurlOpt.ECH, f"ecl:{config}".encode())
buf = io.BytesIO()
c.setopt(CurlOpt.WRITEDATA, buf)
c.perform()
sys.stdout.write(buf.getvalue().decode())
