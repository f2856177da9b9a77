/// The municipality's reference for the citizen a case is about ("0101-A"):
/// its own key, not the citizen's personal number.
public enum CitizenReference {
    /// Whether `text` holds a full Danish personal number (CPR: six digits of
    /// the birth date and four more, with or without a dash). A full CPR
    /// number identifies the citizen to anyone who finds the laptop or reads
    /// the history of its browser, so forms refuse it.
    public static func holdsFullCPR(_ text: String) -> Bool {
        text.contains(#/(?:^|[^0-9])[0-9]{6}[- ]?[0-9]{4}(?:[^0-9]|$)/#)
    }
}
