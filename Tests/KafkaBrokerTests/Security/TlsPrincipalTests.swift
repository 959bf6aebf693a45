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

    /// Subject /DC=com/DC=acme/UID=u1/CN=a=b, c #x/emailAddress=a@b.c: Java's names for DC and UID, the
    /// email address as its OID and DER hex, "=" "," and "#" escaped anywhere.
    static let odd = """
-----BEGIN CERTIFICATE-----
MIIDszCCApugAwIBAgIUSPLSDByrsQv9y86bOPFX5hlBsSQwDQYJKoZIhvcNAQEL
BQAwaTETMBEGCgmSJomT8ixkARkWA2NvbTEUMBIGCgmSJomT8ixkARkWBGFjbWUx
EjAQBgoJkiaJk/IsZAEBDAJ1MTESMBAGA1UEAwwJYT1iLCBjICN4MRQwEgYJKoZI
hvcNAQkBFgVhQGIuYzAeFw0yNjEyMDYxMTM5MTZaFw0zNjEyMDMxMTM5MTZaMGkx
EzARBgoJkiaJk/IsZAEZFgNjb20xFDASBgoJkiaJk/IsZAEZFgRhY21lMRIwEAYK
CZImiZPyLGQBAQwCdTExEjAQBgNVBAMMCWE9YiwgYyAjeDEUMBIGCSqGSIb3DQEJ
ARYFYUBiLmMwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCo/Mr3fSKb
SvQd2pJEwvXqukc6sZIVHUDg+fIwEuIIoeGmj7ZeFi3dUKXsqtieeWN2UlU4Zu+D
XusbKC+JbivHW8pfmjVdljbhf+t1Lk9mjISxnhaFrjK3jlBCdTJh+r6y/MVabvg7
mAf2nkudONLaQpouqLuUMdvrE+XILDJ/glLvdrlkH49YKLDcbZB9cSlcLHRx8aab
nXo8JIt12X6g71ZN2deeCsBIb5eQvUrNsufKiMf5JEW0uaD/y0oaDDGv+Nm8dLE9
XpV1IC7mmJ7luegAMYe9dRu19b7z6IoIODGyPcdDsyTJbVsxmNFIJQkZSkQPG/k/
9h+3EyIlc+9tAgMBAAGjUzBRMB0GA1UdDgQWBBQwGydsWn7A8pKhxqdyscKU6UW9
DTAfBgNVHSMEGDAWgBQwGydsWn7A8pKhxqdyscKU6UW9DTAPBgNVHRMBAf8EBTAD
AQH/MA0GCSqGSIb3DQEBCwUAA4IBAQCMy+o1bIbFZ4qzpyG6oti7+OBv1a2H7Xzd
vyjs5mBnVU/DJIpqUSyVuLMtZ6G0nFPs880/vxxvclXuxrzAv0Vm2x0U8eUKJo72
wQ453V/KAMHf8Hr/n89XWWDgvPNvKu3JGCOOUIlzygHE9tZz3uz4K+F1B4p3LMIg
rZB7+7UNp0keQSExuxbR57qvF7ShQ5Ra7Cq7l2SdE3Okp+7mgYfBmk/pJxlWdvZS
nJcpztc0RPGYbK8yzPLeT1BsF1h7lCu7QrMe6dJwaf4VpLCu1lxdQ7g870S1I686
l9SSedGkxLVPGH/baZaH79EpWgWoQLOwNQglupy+Cbp9fwS6/fqZ
-----END CERTIFICATE-----
"""

    @Test func distinguishedNameWritesWhatJavaWrites() throws {
        let certificate = try #require(try NIOSSLCertificate.fromPEMBytes(Array(Self.odd.utf8)).first)
        #expect(try TlsMaterial.distinguishedName(certificate) == ##"1.2.840.113549.1.9.1=#16056140622e63,CN=a\=b\, c \#x,UID=u1,DC=acme,DC=com"##)
    }
}
