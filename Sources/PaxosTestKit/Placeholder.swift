public enum PaxosTestKitPlaceholder {}
