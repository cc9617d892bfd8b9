import PortcullisCore
import Testing

@testable import PortcullisServer

@Suite("Branding: the logo's type from its bytes, the colour strictly hex")
struct BrandingTests {
    @Test("colours: #rgb and #rrggbb, nothing that could leave the declaration")
    func colours() {
        #expect(Branding.hexColour("#C0A") == "#cc00aa")
        #expect(Branding.hexColour("#0a7d55") == "#0a7d55")
        for bad in ["", "#", "red", "#12", "#1234", "#12345g", "#123; background: url(x)", "0a7d55", "#0a7d55 "] {
            #expect(Branding.hexColour(bad) == nil, "\(bad)")
        }
    }

    @Test("logo types from magic bytes; names and text are not images")
    func types() {
        #expect(Branding.imageType([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == "image/png")
        #expect(Branding.imageType([0xFF, 0xD8, 0xFF, 0xE0]) == "image/jpeg")
        #expect(Branding.imageType(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == "image/webp")
        #expect(Branding.imageType(Array("  <svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8)) == "image/svg+xml")
        #expect(Branding.imageType(Array("<?xml version=\"1.0\"?>\n<svg/>".utf8)) == "image/svg+xml")
        #expect(Branding.imageType(Array("<html><svg/></html>".utf8)) == nil)
        #expect(Branding.imageType(Array("RIFF\0\0\0\0WAVE".utf8)) == nil)
        #expect(Branding.imageType([]) == nil)
    }

    @Test("a bad APP_COLOR or APP_LOGO names its variable")
    func configuration() {
        #expect(throws: ConfigurationError.self) { try Branding(environment: Environment(["APP_COLOR": "blue"])) }
        #expect(throws: ConfigurationError.self) {
            try Branding(environment: Environment(["APP_LOGO": "/nonexistent/logo.png"]))
        }
        #expect((try? Branding(environment: Environment(["APP_LOGO": "", "APP_COLOR": ""])))?.logo == nil)
    }
}
