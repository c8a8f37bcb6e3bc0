using System.CommandLine;
using FedRad.Dicom;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad dicom dump`: a DICOM file printed the way dcmdump prints it.</summary>
public static class DicomCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "DICOM file (Part 10, or a bare data set)" };
        var full = new Option<bool>("--full") { Description = "print long values (pixel data, contours) completely" };
        var dump = new Command("dump", "Print every element: tag, VR, value, length, multiplicity and name") { file, full };
        dump.SetAction(parse =>
        {
            try
            {
                DicomDumper.Dump(DicomReader.Read(parse.GetValue(file)!), Console.Out, parse.GetValue(full));
                return 0;
            }
            catch (DicomFormatException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return new Command("dicom", "DICOM tools") { dump };
    }
}
