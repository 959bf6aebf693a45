package main

// TLS and SASL for sarama 1.22 (spec "security"): SASL PLAIN, SCRAM-SHA-256/512 through a SCRAM client
// written here (sarama leaves the SCRAM client to the caller), TLS with a CA file and, for mutual TLS,
// a client certificate and key.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"hash"
	"io/ioutil"
	"strconv"
	"strings"

	"github.com/Shopify/sarama"
)

type securitySpec struct {
	Protocol  string `json:"protocol"` // PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
	Mechanism string `json:"mechanism"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	CA        string `json:"ca"`
	Cert      string `json:"cert"`
	Key       string `json:"key"`
}

// security is the spec's, applied by baseConfig to every client the driver makes.
var security *securitySpec

func applySecurity(c *sarama.Config) {
	if security == nil {
		return
	}
	if strings.HasSuffix(security.Protocol, "SSL") {
		pool := x509.NewCertPool()
		pem, err := ioutil.ReadFile(security.CA)
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			fail("CA file %s: %v", security.CA, err)
		}
		t := &tls.Config{RootCAs: pool}
		if security.Cert != "" {
			pair, err := tls.LoadX509KeyPair(security.Cert, security.Key)
			if err != nil {
				fail("client certificate: %v", err)
			}
			t.Certificates = []tls.Certificate{pair}
		}
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = t
	}
	if strings.HasPrefix(security.Protocol, "SASL") {
		c.Net.SASL.Enable = true
		c.Net.SASL.Handshake = true
		c.Net.SASL.User = security.Username
		c.Net.SASL.Password = security.Password
		switch security.Mechanism {
		case "PLAIN":
			c.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		case "SCRAM-SHA-256":
			c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
			c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{newHash: sha256.New} }
		case "SCRAM-SHA-512":
			c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
			c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{newHash: sha512.New} }
		default:
			fail("unknown SASL mechanism %q", security.Mechanism)
		}
	}
}

// scramClient: RFC 5802's client side, for sarama.SCRAMClient.
type scramClient struct {
	newHash         func() hash.Hash
	user, password  string
	clientNonce     string
	clientFirstBare string
	saltedPassword  []byte
	authMessage     string
	step            int
}

func (s *scramClient) Begin(user, password, authzID string) error {
	nonce := make([]byte, 18)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	s.user, s.password, s.clientNonce = user, password, base64.StdEncoding.EncodeToString(nonce)
	name := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(user)
	s.clientFirstBare = "n=" + name + ",r=" + s.clientNonce
	return nil
}

func (s *scramClient) mac(key []byte, data string) []byte {
	m := hmac.New(s.newHash, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// pbkdf2 with one block of output (the hash's length), RFC 5802's Hi().
func (s *scramClient) hi(salt []byte, iterations int) []byte {
	m := hmac.New(s.newHash, []byte(s.password))
	m.Write(salt)
	m.Write([]byte{0, 0, 0, 1})
	u := m.Sum(nil)
	out := append([]byte(nil), u...)
	for i := 1; i < iterations; i++ {
		m = hmac.New(s.newHash, []byte(s.password))
		m.Write(u)
		u = m.Sum(nil)
		for j := range out {
			out[j] ^= u[j]
		}
	}
	return out
}

func (s *scramClient) Step(challenge string) (string, error) {
	s.step++
	switch s.step {
	case 1:
		return "n,," + s.clientFirstBare, nil
	case 2:
		fields := map[string]string{}
		for _, f := range strings.Split(challenge, ",") {
			if len(f) > 2 && f[1] == '=' {
				fields[f[:1]] = f[2:]
			}
		}
		nonce, saltText, iterText := fields["r"], fields["s"], fields["i"]
		if !strings.HasPrefix(nonce, s.clientNonce) {
			return "", fmt.Errorf("server nonce %q does not extend ours", nonce)
		}
		salt, err := base64.StdEncoding.DecodeString(saltText)
		if err != nil {
			return "", err
		}
		iterations, err := strconv.Atoi(iterText)
		if err != nil {
			return "", err
		}
		s.saltedPassword = s.hi(salt, iterations)
		withoutProof := "c=biws,r=" + nonce
		s.authMessage = s.clientFirstBare + "," + challenge + "," + withoutProof
		clientKey := s.mac(s.saltedPassword, "Client Key")
		h := s.newHash()
		h.Write(clientKey)
		signature := s.mac(h.Sum(nil), s.authMessage)
		proof := make([]byte, len(clientKey))
		for i := range proof {
			proof[i] = clientKey[i] ^ signature[i]
		}
		return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
	default:
		want := s.mac(s.mac(s.saltedPassword, "Server Key"), s.authMessage)
		if challenge != "v="+base64.StdEncoding.EncodeToString(want) {
			return "", fmt.Errorf("server signature %q is wrong", challenge)
		}
		return "", nil
	}
}

func (s *scramClient) Done() bool { return s.step >= 3 }
