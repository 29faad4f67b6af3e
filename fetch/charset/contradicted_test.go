package charset

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

const (
	simplifiedText  = "国家互联网信息办公室发布《网络数据安全管理条例》，自明年一月一日起施行。条例要求网络数据处理者建立健全数据安全管理制度，加强个人信息保护，防范数据泄露风险。有关负责人表示，这是落实网络安全法、数据安全法的重要举措。"
	traditionalText = "國家互聯網信息辦公室發布網絡數據安全管理條例，自明年一月一日起施行。條例要求網絡數據處理者建立健全數據安全管理制度，加強個人信息保護，防範數據洩露風險。有關負責人表示，這是落實網絡安全法的重要舉措。"
	japaneseText    = "経済産業省は、サイバーセキュリティ対策の強化に向けた新しい指針を公表した。企業に対し、情報漏えいへの備えと報告体制の整備を求めている。"
	koreanText      = "과학기술정보통신부는 사이버 보안 강화를 위한 새로운 지침을 발표했다. 기업들은 정보 유출에 대비하고 보고 체계를 갖추어야 한다."
	// Two characters outside GBK that GB18030 encodes in four bytes.
	gb18030Only = "㐀䶵"
)

func encodeWith(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

func page(body []byte) []byte {
	return append(append([]byte("<html><head><title>t</title></head><body><p>"), body...), "</p></body></html>"...)
}

// Bytes served under a declaration they contradict are decoded as what
// they are.
func TestContradictedDeclarations(t *testing.T) {
	long := strings.Repeat(simplifiedText, 3)
	cases := []struct {
		name, contentType string
		body              []byte
		want              string // text that must come out
		label             string // label prefix expected
	}{
		{"GBK as shift_jis", "text/html; charset=shift_jis", encodeWith(t, simplifiedchinese.GBK, long), long, LabelGB18030},
		{"GBK as euc-jp", "text/html; charset=euc-jp", encodeWith(t, simplifiedchinese.GBK, long), long, LabelGB18030},
		{"GBK as big5", "text/html; charset=big5", encodeWith(t, simplifiedchinese.GBK, long), long, LabelGB18030},
		{"GBK as windows-1252", "text/html; charset=windows-1252", encodeWith(t, simplifiedchinese.GBK, long), long, LabelGB18030},
		{"GB18030 as shift_jis", "text/html; charset=shift_jis", encodeWith(t, simplifiedchinese.GB18030, long+gb18030Only), long + gb18030Only, LabelGB18030},
		{"GB18030 as big5", "text/html; charset=big5", encodeWith(t, simplifiedchinese.GB18030, long+gb18030Only), long + gb18030Only, LabelGB18030},
		{"Big5 as gbk", "text/html; charset=gbk", encodeWith(t, traditionalchinese.Big5, strings.Repeat(traditionalText, 3)), strings.Repeat(traditionalText, 3), LabelBig5},
		{"Big5 as shift_jis", "text/html; charset=shift_jis", encodeWith(t, traditionalchinese.Big5, strings.Repeat(traditionalText, 3)), strings.Repeat(traditionalText, 3), LabelBig5},
		{"UTF-8 as gbk", "text/html; charset=gbk", []byte(long), long, LabelUTF8},
		{"UTF-8 as shift_jis", "text/html; charset=shift_jis", []byte(long), long, LabelUTF8},
		{"UTF-8 as big5", "text/html; charset=big5", []byte(long), long, LabelUTF8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, label, err := DecodeHTML(page(c.body), c.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("label %q; text not recovered: %.120s", label, out)
			}
			if !strings.HasPrefix(label, c.label) {
				t.Errorf("label %q, want %s…", label, c.label)
			}
		})
	}
}

// True declarations keep their encoding.
func TestTrueDeclarationsHold(t *testing.T) {
	cases := []struct {
		name, contentType string
		enc               encoding.Encoding
		text, label       string
	}{
		{"shift_jis", "text/html; charset=shift_jis", japanese.ShiftJIS, japaneseText, "shift_jis"},
		{"euc-jp", "text/html; charset=euc-jp", japanese.EUCJP, japaneseText, "euc-jp"},
		{"euc-kr", "text/html; charset=euc-kr", korean.EUCKR, koreanText, "euc-kr"},
		{"gbk", "text/html; charset=gbk", simplifiedchinese.GBK, simplifiedText, LabelGB18030},
		{"big5", "text/html; charset=big5", traditionalchinese.Big5, traditionalText, LabelBig5},
		{"windows-1252", "text/html; charset=windows-1252", charmap.Windows1252, "Le président a déclaré « très bien » à l'été, naïve café.", "windows-1252"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, label, err := DecodeHTML(page(encodeWith(t, c.enc, c.text)), c.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if label != c.label || !strings.Contains(string(out), c.text) {
				t.Errorf("label %q, want %q; text %.120s", label, c.label, out)
			}
		})
	}
}
