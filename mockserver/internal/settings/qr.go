package settings

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/url"

	"github.com/pquerna/otp"
)

// totpQR is the otpauth:// URI of secret as a PNG data URI, what an authenticator app scans.
func totpQR(issuer, account, secret string) string {
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account,
		RawQuery: url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}.Encode()}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return ""
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return ""
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}
