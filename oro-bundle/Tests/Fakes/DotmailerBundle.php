<?php

/**
 * Fakes of oroinc/OroCRMDotmailerBundle (checked at 873def61, master, and 22c44ad5, 5.1): the entities keep the
 * properties and accessors the processors and the test forms use.
 */

namespace Oro\Bundle\DotmailerBundle\Entity {
    /** Entity/DotmailerTransport.php (the real one extends IntegrationBundle's Transport). */
    class DotmailerTransport
    {
        protected ?string $username = null;
        protected ?string $password = null;
        protected ?string $clientId = null;
        protected ?string $clientKey = null;
        protected ?string $customDomain = null;

        public function getUsername()
        {
            return $this->username;
        }

        public function setUsername($username)
        {
            $this->username = $username;

            return $this;
        }

        public function getPassword()
        {
            return $this->password;
        }

        public function setPassword($password)
        {
            $this->password = $password;

            return $this;
        }

        public function getClientId()
        {
            return $this->clientId;
        }

        public function setClientId($clientId)
        {
            $this->clientId = $clientId;

            return $this;
        }

        public function getClientKey()
        {
            return $this->clientKey;
        }

        public function setClientKey($clientKey)
        {
            $this->clientKey = $clientKey;

            return $this;
        }

        public function getCustomDomain()
        {
            return $this->customDomain;
        }

        public function setCustomDomain($customDomain)
        {
            $this->customDomain = $customDomain;

            return $this;
        }
    }

    /** Entity/DataField.php: the not-mapped forceRemove flag DataFieldRemoveListener::preRemove reads. */
    class DataField
    {
        protected $forceRemove = false;

        public function isForceRemove()
        {
            return $this->forceRemove;
        }

        public function setForceRemove($forceRemove)
        {
            $this->forceRemove = $forceRemove;

            return $this;
        }
    }
}

namespace Oro\Bundle\DotmailerBundle\Provider {
    /** Provider/ChannelType.php */
    class ChannelType
    {
        public const TYPE = 'dotmailer';
    }
}

namespace Oro\Bundle\DotmailerBundle\Provider\Connector {
    /** Provider/Connector/DataFieldConnector.php */
    class DataFieldConnector
    {
        public const TYPE = 'datafield';
        public const FORCE_SYNC_FLAG = 'datafields-force-sync';
    }
}
