import MeshCore
import Testing

@Suite struct SocketAddressTests {
    @Test(arguments: [
        ("127.0.0.1:9000", "127.0.0.1:9000"), ("[::1]:9000", "[::1]:9000"),
        ("[2001:db8:0:0:1:0:0:1]:443", "[2001:db8::1:0:0:1]:443"), ("[2001:DB8::1]:1", "[2001:db8::1]:1"),
        ("[::ffff:192.0.2.1]:80", "[::ffff:c000:201]:80"), ("[::]:5", "[::]:5"), ("0.0.0.0:65535", "0.0.0.0:65535"),
    ])
    func parsesAndPrintsCanonically(text: String, canonical: String) throws {
        let address = try SocketAddress(text: text)
        #expect(address.description == canonical)
        #expect(try SocketAddress(text: canonical) == address)
    }

    @Test func ipv4HostIsNetworkOrderValue() throws {
        #expect(try SocketAddress(text: "192.0.2.1:7") == .ipv4(0xc000_0201, port: 7))
        #expect(try SocketAddress(text: "192.0.2.1:7").hostBytes == [192, 0, 2, 1])
    }

    @Test(arguments: [
        ("127.0.0.1", SocketAddress.ParseError.missingPort("127.0.0.1")),
        ("127.0.0.1:0", .invalidPort("0")), ("127.0.0.1:70000", .invalidPort("70000")),
        ("256.0.0.1:1", .invalidHost("256.0.0.1")), ("01.0.0.1:1", .invalidHost("01.0.0.1")),
        ("example.com:1", .invalidHost("example.com")), ("[::1:1", .invalidHost("[::1:1")),
        ("[1::2::3]:1", .invalidHost("1::2::3")), ("[::1]", .missingPort("[::1]")),
        ("::1:9000", .invalidHost("::1 (put IPv6 addresses in brackets)")),
        ("[1:2:3:4:5:6:7:8:9]:1", .invalidHost("1:2:3:4:5:6:7:8:9")),
    ])
    func refusesWithAReason(text: String, error: SocketAddress.ParseError) {
        #expect(throws: error) { try SocketAddress(text: text) }
    }

    @Test func loopbackAndHost() throws {
        #expect(try SocketAddress(text: "127.5.0.1:1").isLoopback)
        #expect(try SocketAddress(text: "[::1]:1").isLoopback)
        #expect(try !SocketAddress(text: "10.0.0.1:1").isLoopback)
        #expect(try SocketAddress(text: "10.0.0.1:1").host == SocketAddress(text: "10.0.0.1:2").host)
    }
}
