public enum SyncTestSupportPlaceholder {}
