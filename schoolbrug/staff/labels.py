"""The staff upload's counts in Dutch, as the command line and the upload page both show them."""

COUNT_LABELS = {
    "staff_created": "nieuwe personeelsleden",
    "staff_updated": "gewijzigde namen",
    "assignments_created": "nieuwe opdrachten",
    "assignments_updated": "gewijzigde einddatums",
    "assignments_ended": "beëindigde opdrachten",
    "teaching_ended": "klassen die eindigen met hun opdracht",
    "teaching_extended": "klassen die met hun opdracht langer lopen",
    "unchanged": "ongewijzigde opdrachten",
}
