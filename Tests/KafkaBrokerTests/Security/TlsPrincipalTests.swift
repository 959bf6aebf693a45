@testable import KafkaBroker
import NIOSSL
import Testing

/// The principal a client certificate gives (Kafka's RFC 2253 name, most specific first).
struct TlsPrincipalTests {
    /// Subject /C=US/O=Acme/OU=eng/CN=alice (self-signed, made with openssl req).
    static let pem = """
-----BEGIN CERTIFICATE-----
MIIDVTCCAj2gAwIBAgIUQe/2nbZCAqKHx1DcynEczwQAf/IwDQYJKoZIhvcNAQEL
BQAwOjELMAkGA1UEBhMCVVMxDTALBgNVBAoMBEFjbWUxDDAKBgNVBAsMA2VuZzEO
MAwGA1UEAwwFYWxpY2UwHhcNMjYxMjA2MTExMDM2WhcNMzYxMjAzMTExMDM2WjA6
MQswCQYDVQQGEwJVUzENMAsGA1UECgwEQWNtZTEMMAoGA1UECwwDZW5nMQ4wDAYD
VQQDDAVhbGljZTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAK/eT75C
d3nxVVx1o+w0stAOFoq0LaODHbafQUNNzVgueobeOvF7kOnIpL5b2fpuOcel33AQ
35CnDnRonKpa/O3qGdmx46m24peDrm1WeIbDvTxBQfgCnR6zJrFl18gkU4jfYa0X
liG65RgtAh8Po2a9mFWVQC8oefyI/N+ZNR1rC492QyzWnRoyFTrS8m/SPOoDfw/X
fHTSz1QqsctPeZlQTLD/oMGZZ67eagsbCWF9tJSL/zubk15nmnirUyYQpT/rCuZH
4SbJLjlIk99XTfRsLhQW3TQWsVSfzXOUxdXZjQzVMXKChdr2J4rY3NrNAQyztT1U
66M+lKAIu90wu2MCAwEAAaNTMFEwHQYDVR0OBBYEFAmWKH6+pkAzHQqz1rqotm+q
FQI1MB8GA1UdIwQYMBaAFAmWKH6+pkAzHQqz1rqotm+qFQI1MA8GA1UdEwEB/wQF
MAMBAf8wDQYJKoZIhvcNAQELBQADggEBAKSoHlsUy9eXKYmBoiQo+pRObugik9gW
Ne4ciKHMXCZV/uDfuNxomFD2fmoxmAHvn3u5SUSF2bapz4E0l+cP+w1O1JgTH9jo
2TMzGNyhGicRd0zUQlaOKRct0nDupvja0kKfdXGxE7i+ZhmzmUC8f2yfn9ZmOfC4
8welG9Lj+nMEy3O8ykpmwSVWxiMkJRQ2eN6RD1kyzrjL77UlbMqqd9MEUSCdSgW/
HRjnqQi/qeRBN5hIPn86dsLpQoRru8ahwcyI9q1Sa/8MgJi6OZtYFXn2XpXgn4vi
2mXC/KUKl4V1xyTFrfU0kfKG/TtvQxcoNE/QGv9EayjEH4AFdcFkxIA=
-----END CERTIFICATE-----
"""

    @Test func distinguishedNameReadsMostSpecificFirst() throws {
        let certificate = try #require(try NIOSSLCertificate.fromPEMBytes(Array(Self.pem.utf8)).first)
        #expect(try TlsMaterial.distinguishedName(certificate) == "CN=alice,OU=eng,O=Acme,C=US")
    }
}
