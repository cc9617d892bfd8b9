import CZstd

/// A zstd failure, with libzstd's own name for it.
public struct ZstdError: Error, CustomStringConvertible {
    public var description: String

    static func check(_ code: Int) throws -> Int {
        if ZSTD_isError(code) != 0 { throw ZstdError(description: String(cString: ZSTD_getErrorName(code))) }
        return code
    }
}

/// Streaming compression into a sink, one reused context, checksums on.
final class ZstdCompressor {
    private let context: OpaquePointer
    private var output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())

    init(level: Int32 = 3) throws {
        guard let context = ZSTD_createCCtx() else {
            throw ZstdError(description: "cannot create a compression context")
        }
        self.context = context
        _ = try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
        _ = try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input`; `finish` ends the frame. Compressed bytes go to `sink`.
    func compress(_ input: [UInt8], finish: Bool, sink: ([UInt8]) throws -> Void) throws {
        try input.withUnsafeBytes { raw in
            var inBuffer = ZSTD_inBuffer(src: raw.baseAddress, size: raw.count, pos: 0)
            while true {
                let (remaining, produced) = try output.withUnsafeMutableBytes { out -> (Int, Int) in
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    let remaining = try ZstdError.check(
                        ZSTD_compressStream2(context, &outBuffer, &inBuffer, finish ? ZSTD_e_end : ZSTD_e_continue))
                    return (remaining, outBuffer.pos)
                }
                if produced > 0 { try sink(Array(output[0..<produced])) }
                if finish ? remaining == 0 : inBuffer.pos == inBuffer.size { break }
            }
        }
    }
}

/// Streaming decompression with a cap on the total output, so a hostile file cannot exhaust memory.
final class ZstdDecompressor {
    private let context: OpaquePointer
    private var output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    private let limit: Int
    private(set) var produced = 0
    private(set) var frameComplete = false

    init(limit: Int) throws {
        guard let context = ZSTD_createDCtx() else {
            throw ZstdError(description: "cannot create a decompression context")
        }
        self.context = context
        self.limit = limit
    }

    deinit { ZSTD_freeDCtx(context) }

    func decompress(_ input: ArraySlice<UInt8>, sink: ([UInt8]) throws -> Void) throws {
        try input.withUnsafeBytes { raw in
            var inBuffer = ZSTD_inBuffer(src: raw.baseAddress, size: raw.count, pos: 0)
            while inBuffer.pos < inBuffer.size || !frameComplete {
                let (hint, count) = try output.withUnsafeMutableBytes { out -> (Int, Int) in
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    let hint = try ZstdError.check(ZSTD_decompressStream(context, &outBuffer, &inBuffer))
                    return (hint, outBuffer.pos)
                }
                produced += count
                guard produced <= limit else {
                    throw ZstdError(description: "decompressed size exceeds the limit of \(limit) bytes")
                }
                if count > 0 { try sink(Array(output[0..<count])) }
                if hint == 0 { frameComplete = true }
                if count == 0 && inBuffer.pos == inBuffer.size { break }
            }
        }
    }
}
