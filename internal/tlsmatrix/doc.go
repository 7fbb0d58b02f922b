// Package tlsmatrix holds, as data, the certificate rows of libvirt's TLS
// unit tests, so that virtwire's client and server run the same rows with
// certificates generated at test time by internal/pki (RELIABILITY.md tests
// 48-51):
//
//   - [ContextRows]: the 37 DO_CTX_TEST rows of tests/virnettlscontexttest.c,
//     which check our own CA and certificate when a TLS context is created
//     (the client at Dial, the server at ListenTLS);
//   - [SessionRows]: the 15 DO_SESS_TEST rows of tests/virnettlssessiontest.c,
//     which check the peer's certificate after a real handshake: a wrong CA
//     on each side, the SAN-versus-CN host name rules, six
//     tls_allowed_dn_list globs and a certificate chain;
//   - [PeerCases]: the places where crypto/x509's default verification and
//     libvirt's disagree (RELIABILITY.md P7, test 50), each with the answer
//     of Go, of libvirt and of virtwire.
//
// Each certificate is a [Req], named after the libvirt test variable that
// describes it (servercert4req, cacertlevel2areq…), with the same fields:
// country, CN, subjectAltNames, and basicConstraints, keyUsage and
// extKeyUsage each present or absent, critical or not, plus a validity
// window in hours from now. Rows refer to certificates by those names, so a
// row reads like the libvirt line it ports.
//
// Only the facts (which certificate, which expected result) come from
// libvirt's tests; the generation is internal/pki's.
package tlsmatrix
