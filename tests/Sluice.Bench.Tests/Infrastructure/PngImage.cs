using System.Buffers.Binary;
using System.IO.Compression;

namespace Sluice.Bench.Tests.Infrastructure;

/// <summary>A minimal PNG decoder (8-bit RGB/RGBA, non-interlaced), enough to check what Chromium drew.</summary>
internal sealed class PngImage
{
    private PngImage(int width, int height, byte[] rgba)
    {
        Width = width;
        Height = height;
        Rgba = rgba;
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Rgba { get; }

    public (byte R, byte G, byte B) Pixel(int x, int y)
    {
        int i = ((y * Width) + x) * 4;
        return (Rgba[i], Rgba[i + 1], Rgba[i + 2]);
    }

    public static PngImage Decode(byte[] png)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (!png.AsSpan(0, 8).SequenceEqual(signature))
        {
            throw new InvalidDataException("Not a PNG.");
        }

        int width = 0, height = 0, colorType = 0;
        using var idat = new MemoryStream();
        int pos = 8;
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                int bitDepth = data[8];
                colorType = data[9];
                if (bitDepth != 8 || (colorType != 2 && colorType != 6) || data[12] != 0)
                {
                    throw new InvalidDataException($"Unsupported PNG: depth {bitDepth}, color type {colorType}, interlace {data[12]}.");
                }
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            else if (type == "IEND")
            {
                break;
            }

            pos += 12 + length;
        }

        int bpp = colorType == 6 ? 4 : 3;
        int stride = width * bpp;
        byte[] raw = new byte[(stride + 1) * height];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.ReadExactly(raw);
        }

        byte[] pixels = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            ReadOnlySpan<byte> line = raw.AsSpan((y * (stride + 1)) + 1, stride);
            Span<byte> cur = pixels.AsSpan(y * stride, stride);
            ReadOnlySpan<byte> prev = y == 0 ? new byte[stride] : pixels.AsSpan((y - 1) * stride, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                int v = filter switch
                {
                    0 => line[i],
                    1 => line[i] + a,
                    2 => line[i] + b,
                    3 => line[i] + ((a + b) / 2),
                    4 => line[i] + Paeth(a, b, c),
                    _ => throw new InvalidDataException($"Bad filter {filter}."),
                };
                cur[i] = (byte)v;
            }
        }

        byte[] rgba = new byte[width * height * 4];
        for (int p = 0; p < width * height; p++)
        {
            rgba[p * 4] = pixels[p * bpp];
            rgba[(p * 4) + 1] = pixels[(p * bpp) + 1];
            rgba[(p * 4) + 2] = pixels[(p * bpp) + 2];
            rgba[(p * 4) + 3] = bpp == 4 ? pixels[(p * bpp) + 3] : (byte)255;
        }

        return new PngImage(width, height, rgba);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
